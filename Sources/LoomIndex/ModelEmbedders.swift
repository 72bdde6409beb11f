import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTasks
import LoomTensor

/// A sentence-transformers folder (all-MiniLM-L6-v2) as the index's text embedder.
public struct SentenceTextEmbedder: TextEmbedding {
    public let modelID: String
    public let embedder: SentenceEmbedder

    public init(folder: URL, modelID: String) throws {
        self.init(embedder: try SentenceEmbedder(folder: folder), modelID: modelID)
    }

    /// Over a model already loaded (the pipeline's shared instance).
    public init(embedder: SentenceEmbedder, modelID: String) {
        self.modelID = modelID
        self.embedder = embedder
    }

    public var dimension: Int { embedder.dimension }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        return try embedder.embed(texts)
    }
}

/// A CLIP or SigLIP folder (config.json `model_type`) as the index's image embedder: the folder's
/// image processor, then the vision tower and projection (normalized). Text queries reach image vectors
/// through the same model's text tower when the folder has its tokenizer.
public struct DualEncoderImageEmbedder: ImageEmbedding {
    public let modelID: String
    let task: DualEncoderTask
    let decoder = ImageDecoder()

    /// `load` gives the model of `folder` (e.g. from `SharedModels`); a folder of another kind is an
    /// index error naming it.
    public init(folder: URL, modelID: String, load: (URL) throws -> DualEncoderTask = { try DualEncoderTask(folder: $0) }) throws {
        self.modelID = modelID
        do {
            task = try load(folder)
        } catch let error as VisionModelError {
            throw IndexError.modelUnavailable(path: folder.path, role: "image", reason: error.description)
        }
    }

    public var dimension: Int { task.dimension }

    public func embed(imageAt url: URL) throws -> (vector: [Float], width: Int, height: Int) {
        let image = try decoder.decode(contentsOf: url)
        return (try task.imageEmbedding(image), image.width, image.height)
    }

    /// Nil when the folder has no tokenizer (tokenizer.json, or spiece.model for SigLIP): then images are found by file name, caption, or `--like`.
    public func embed(text: String) throws -> [Float]? {
        guard task.embedsText else { return nil }
        return try task.textEmbedding(text)
    }
}

/// PP-OCRv4 as the index's text reader: RapidOCR's settings, lines below 0.5 confidence dropped.
public struct PPOCRTextReader: ImageTextReading {
    public let modelID: String
    let reader: PPOCR
    let decoder = ImageDecoder()

    public init(reader: PPOCR, modelID: String) {
        self.reader = reader
        self.modelID = modelID
    }

    public func lines(inImageAt url: URL) throws -> [String] {
        try reader.read(try decoder.decode(contentsOf: url)).map(\.text).filter { !$0.isEmpty }
    }
}

/// A Whisper model folder as the index's transcriber: greedy decoding with temperature fallback,
/// language detected on multilingual models, Silero VAD over long audio when given.
public final class WhisperSpeechTranscriber: SpeechTranscribing {
    public let modelID: String
    let pipeline: WhisperPipeline
    let vad: SileroVAD?
    let decoder = AudioDecoder()

    public convenience init(folder: URL, modelID: String, vad: SileroVAD? = nil,
                            threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.init(pipeline: try WhisperPipeline(folder: folder, threads: threads), modelID: modelID, vad: vad)
    }

    /// Over a model already loaded (e.g. from `SharedModels`).
    public init(pipeline: WhisperPipeline, modelID: String, vad: SileroVAD? = nil) {
        self.modelID = modelID
        self.pipeline = pipeline
        self.vad = vad
    }

    public func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double) {
        let audio = try decoder.decode(contentsOf: url, targetSampleRate: LogMelSpectrogram.sampleRate)
        // VAD only pays off past one 30-second window, as in `loom transcribe --vad auto`.
        let transcript = try pipeline.transcribe(audio, vad: audio.duration > 30 ? vad : nil)
        let segments = transcript.segments.map {
            TimedText(start: $0.start, end: $0.end, text: $0.text.trimmingCharacters(in: .whitespacesAndNewlines))
        }.filter { !$0.text.isEmpty }
        return (segments, transcript.language, audio.duration)
    }
}
