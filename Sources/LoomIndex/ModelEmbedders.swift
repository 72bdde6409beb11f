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
        self.modelID = modelID
        embedder = try SentenceEmbedder(folder: folder)
    }

    public var dimension: Int { embedder.dimension }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        return try embedder.embed(texts)
    }
}

/// A CLIP or SigLIP folder (config.json `model_type`) as the index's image embedder: the folder's
/// image processor, then the vision tower and projection (normalized).
public struct DualEncoderImageEmbedder: ImageEmbedding {
    enum Model: Sendable {
        case clip(CLIPModel)
        case siglip(SigLIPModel)
    }

    public let modelID: String
    let model: Model
    let processor: any ImageProcessing
    let decoder = ImageDecoder()

    public init(folder: URL, modelID: String) throws {
        self.modelID = modelID
        let configURL = folder.appendingPathComponent("config.json")
        let data = try Data(contentsOf: configURL)
        let type = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["model_type"] as? String
        let processor: (any ImageProcessing)?
        switch type {
        case "clip":
            let clip = try CLIPModel(folder: folder)
            (model, processor) = (.clip(clip), clip.imageProcessor)
        case "siglip":
            let siglip = try SigLIPModel(folder: folder)
            (model, processor) = (.siglip(siglip), siglip.imageProcessor)
        default:
            throw IndexError.modelUnavailable(
                path: configURL.path, role: "image",
                reason: "model_type \(type ?? "(missing)") is not clip or siglip; pass a CLIP or SigLIP folder")
        }
        guard let processor else {
            throw IndexError.modelUnavailable(
                path: folder.path, role: "image", reason: "the folder has no preprocessor_config.json")
        }
        self.processor = processor
    }

    public var dimension: Int {
        switch model {
        case .clip(let clip): clip.config.projectionDim
        case .siglip(let siglip): siglip.config.visionConfig.hiddenSize
        }
    }

    public func embed(imageAt url: URL) throws -> (vector: [Float], width: Int, height: Int) {
        let image = try decoder.decode(contentsOf: url)
        let pixels = try processor.process(image).pixelValues
        let vector = switch model {
        case .clip(let clip): try clip.imageEmbedding(pixelValues: pixels)
        case .siglip(let siglip): try siglip.imageEmbedding(pixelValues: pixels)
        }
        return (vector, image.width, image.height)
    }

    /// Nil: text queries reach images through their file names and captions. The text towers are
    /// tested on reference token ids, but CLIP's and SigLIP's own tokenizers are not yet reproduced
    /// and checked in LoomTokenizers, so a text-to-image vector here would be unverified.
    public func embed(text: String) throws -> [Float]? { nil }
}

/// A Whisper model folder as the index's transcriber: greedy decoding with temperature fallback,
/// language detected on multilingual models, Silero VAD over long audio when given.
public final class WhisperSpeechTranscriber: SpeechTranscribing {
    public let modelID: String
    let pipeline: WhisperPipeline
    let vad: SileroVAD?
    let decoder = AudioDecoder()

    public init(folder: URL, modelID: String, vad: SileroVAD? = nil,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.modelID = modelID
        pipeline = try WhisperPipeline(folder: folder, threads: threads)
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
