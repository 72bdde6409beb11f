import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTokenizers

/// A Whisper model folder (CTranslate2 or Hugging Face layout, with tokenizer.json) ready to
/// transcribe files: the model, its tokenizer and the log-mel front end, loaded once for a batch.
///
/// Immutable, so any number of threads transcribe with one instance at the same time: each call
/// makes its own decoder state (KV caches, cross-attention keys) and log-mel scratch.
public final class WhisperPipeline: Sendable {
    public let model: WhisperModel
    public let tokenizer: Tokenizer
    public let tokens: WhisperDecodingTokens
    let melSpectrogram: LogMelSpectrogram
    let compression: ZlibCompressionRatio

    public init(folder: URL, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        model = try WhisperModel(folder: folder)
        let tokenizerFile = folder.appendingPathComponent("tokenizer.json")
        tokenizer = try Tokenizer.load(tokenizerJSON: tokenizerFile)
        tokens = try WhisperDecodingTokens(WhisperSpecialTokens(tokenizer: tokenizer), tokenizer: tokenizer)
        melSpectrogram = try LogMelSpectrogram(melBins: model.config.melBins, threads: threads)
        compression = try ZlibCompressionRatio()
    }

    /// Decodes `url` (any format LoomMedia reads, resampled to 16 kHz) and transcribes it.
    /// - Parameter progress: (seconds done, seconds of audio) after each 30-second window; an error
    ///   it throws stops the transcription and is thrown from here.
    public func transcribe(
        contentsOf url: URL, vad: SileroVAD? = nil, options: WhisperTranscribeOptions = WhisperTranscribeOptions(),
        progress: ((Double, Double) throws -> Void)? = nil
    ) throws -> Transcript {
        let audio = try AudioDecoder().decode(contentsOf: url, targetSampleRate: LogMelSpectrogram.sampleRate)
        return try transcribe(audio, vad: vad, options: options, progress: progress)
    }

    /// With `vad`, only the speech it finds is decoded (faster-whisper's `vad_filter`) and segment
    /// times are mapped back onto the original audio.
    ///
    /// Called from a task, it stops between windows once the task is cancelled (throwing
    /// `CancellationError`); an error `progress` throws stops it the same way.
    public func transcribe(
        _ audio: AudioBuffer, vad: SileroVAD? = nil, options: WhisperTranscribeOptions = WhisperTranscribeOptions(),
        progress: ((Double, Double) throws -> Void)? = nil
    ) throws -> Transcript {
        try run(audio, vad: vad, options: options, progress: progress)
    }

    /// `transcribe(_:vad:options:progress:)` for async callers. It runs on the calling task's
    /// executor until done (CPU work: a server that serves many requests gives these tasks an
    /// executor of their own, `withTaskExecutorPreference`); cancelling the task stops it at the
    /// next window. `segments` receives each window's new segments (times on the original audio) as
    /// soon as the window is decoded, for callers that stream them.
    public func transcribe(
        _ audio: AudioBuffer, vad: SileroVAD? = nil, options: WhisperTranscribeOptions = WhisperTranscribeOptions(),
        progress: (@Sendable (Double, Double) throws -> Void)? = nil,
        segments: (@Sendable ([TranscriptSegment]) throws -> Void)? = nil
    ) async throws -> Transcript {
        try run(audio, vad: vad, options: options, progress: progress, segments: segments)
    }

    private func run(
        _ audio: AudioBuffer, vad: SileroVAD?, options: WhisperTranscribeOptions, progress: ((Double, Double) throws -> Void)?,
        segments: (([TranscriptSegment]) throws -> Void)? = nil
    ) throws -> Transcript {
        guard let vad else { return try transcribeAll(audio, options: options, progress: progress, segments: segments) }
        let speech = try SpeechOnlyAudio(audio, vad: vad)
        guard !speech.segments.isEmpty else {
            return Transcript(text: "", segments: [], language: options.decoding.language ?? "en")
        }
        let restored = segments.map { report in { (cut: [TranscriptSegment]) in try report(speech.restoringTimes(cut)) } }
        return speech.restoringTimes(try transcribeAll(speech.audio, options: options, progress: progress, segments: restored))
    }

    private func transcribeAll(
        _ audio: AudioBuffer, options: WhisperTranscribeOptions, progress: ((Double, Double) throws -> Void)?,
        segments: (([TranscriptSegment]) throws -> Void)?
    ) throws -> Transcript {
        let framesPerSecond = Double(LogMelSpectrogram.sampleRate / LogMelSpectrogram.hopLength)
        let decoding = WhisperDecoding(
            model: model, specials: tokens, text: WhisperTokenizerText(tokenizer: tokenizer), compressionRatio: compression.ratio)
        return try WhisperTranscriber(decoding: decoding).transcribe(
            audio: audio, melSpectrogram: melSpectrogram, options: options,
            progress: { done, total in try progress?(Double(done) / framesPerSecond, Double(total) / framesPerSecond) },
            segments: segments)
    }
}

/// The tokenizer as the decoding loop needs it: plain BPE both ways, specials rendered as text.
struct WhisperTokenizerText: WhisperTextDecoding {
    let tokenizer: Tokenizer

    func decode(_ ids: [Int]) -> String {
        (try? tokenizer.decode(ids, skipSpecialTokens: false)) ?? ""
    }

    func encode(_ text: String) -> [Int] {
        tokenizer.encode(text, addSpecialTokens: false)
    }
}

extension WhisperDecodingTokens {
    /// The ids the loop needs, from the tokenizer's Whisper special tokens.
    public init(_ specials: WhisperSpecialTokens, tokenizer: Tokenizer) throws {
        self.init(
            sot: specials.startOfTranscript, eot: specials.endOfText, transcribe: specials.transcribe,
            translate: specials.translate, noTimestamps: specials.noTimestamps, noSpeech: specials.noSpeech,
            sotPrev: specials.startOfPrevious, sotLM: specials.startOfLM, timestampBegin: specials.timestampBegin,
            multilingual: specials.isMultilingual, languageTokens: specials.languageIDs,
            nonSpeechTokens: specials.nonSpeechTokens, blankTokens: tokenizer.encode(" ", addSpecialTokens: false))
    }
}
