import Foundation
import LoomModelStore
import LoomModels

/// The models a process has loaded, one typed cache per kind: pipeline runs, CLI commands and a
/// server get their models here, so two users of one model share one copy of its weights.
///
/// Each model is keyed by its file or folder and the options that change the loaded object (a
/// Whisper pipeline's log-mel threads). Every loaded model is immutable and serves many threads at
/// once; see `ModelCache` for how loads, failures and eviction work.
public final class SharedModels: Sendable {
    private let whisperPipelines: ModelCache<WhisperPipeline>
    private let textGenerations: ModelCache<TextGeneration>
    private let visionLanguageTasks: ModelCache<VisionLanguageTask>
    private let sentenceEmbedders: ModelCache<SentenceEmbedder>
    private let dualEncoderTasks: ModelCache<DualEncoderTask>
    private let voiceActivityDetectors: ModelCache<SileroVAD>
    private let textReaders: ModelCache<PPOCR>

    /// - Parameters:
    ///   - now: the clock of last-use times, for `evictIdle(olderThan:)`.
    ///   - onEvict: told each model `evictIdle` drops.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
                onEvict: @escaping @Sendable (ModelKey) -> Void = { _ in }) {
        whisperPipelines = ModelCache(now: now, onEvict: onEvict)
        textGenerations = ModelCache(now: now, onEvict: onEvict)
        visionLanguageTasks = ModelCache(now: now, onEvict: onEvict)
        sentenceEmbedders = ModelCache(now: now, onEvict: onEvict)
        dualEncoderTasks = ModelCache(now: now, onEvict: onEvict)
        voiceActivityDetectors = ModelCache(now: now, onEvict: onEvict)
        textReaders = ModelCache(now: now, onEvict: onEvict)
    }

    /// A Whisper model folder with its tokenizer and a log-mel front end on `threads` threads.
    public func whisper(at folder: URL, threads: Int) throws -> WhisperPipeline {
        try whisperPipelines.model(for: ModelKey(folder, options: ["threads": String(threads)])) {
            try WhisperPipeline(folder: folder, threads: threads)
        }
    }

    /// A Llama-family `.gguf` file or Hugging Face folder with its tokenizer.
    public func textGeneration(at url: URL) throws -> TextGeneration {
        try textGenerations.model(for: ModelKey(url)) { try TextGeneration(url: url) }
    }

    /// A SmolVLM / Idefics3 folder (see `VisionModelFolder.resolve` for finding it).
    public func visionLanguage(at folder: URL) throws -> VisionLanguageTask {
        try visionLanguageTasks.model(for: ModelKey(folder)) { try VisionLanguageTask(folder: folder) }
    }

    /// A sentence-transformers folder (MiniLM) with its WordPiece tokenizer.
    public func sentenceEmbedder(at folder: URL) throws -> SentenceEmbedder {
        try sentenceEmbedders.model(for: ModelKey(folder)) { try SentenceEmbedder(folder: folder) }
    }

    /// A CLIP or SigLIP folder.
    public func dualEncoder(at folder: URL) throws -> DualEncoderTask {
        try dualEncoderTasks.model(for: ModelKey(folder)) { try DualEncoderTask(folder: folder) }
    }

    /// Silero VAD from an `.onnx` or `.safetensors` file or a folder holding one.
    public func voiceActivity(at url: URL) throws -> SileroVAD {
        try voiceActivityDetectors.model(for: ModelKey(url)) { try SileroVAD(contentsOf: url) }
    }

    /// PP-OCR from a folder holding det.onnx, rec.onnx (and cls.onnx).
    public func textReader(at folder: URL) throws -> PPOCR {
        try textReaders.model(for: ModelKey(folder)) { try PPOCR(contentsOf: folder) }
    }

    /// Drops every model of every kind (and every remembered failure) unused for longer than `age`;
    /// returns their keys. A long-running process calls it now and then.
    @discardableResult
    public func evictIdle(olderThan age: Duration) -> [ModelKey] {
        whisperPipelines.evictIdle(olderThan: age) + textGenerations.evictIdle(olderThan: age)
            + visionLanguageTasks.evictIdle(olderThan: age) + sentenceEmbedders.evictIdle(olderThan: age)
            + dualEncoderTasks.evictIdle(olderThan: age) + voiceActivityDetectors.evictIdle(olderThan: age)
            + textReaders.evictIdle(olderThan: age)
    }
}
