import Foundation
import LoomModelStore
import LoomModels
import LoomTasks
import LoomTensor

/// The models of one run, taken from the process's shared cache (`SharedModels`) when a step first
/// needs them, so a run with nothing left to do loads none. It records the models the run got, in
/// order, for the summary ("models loaded: ...") and the progress log; a failed load is remembered by
/// the cache, so a missing file is reported per item without reading it again each time.
public final class PipelineModels: @unchecked Sendable {
    // @unchecked: `names` is read and written only under `lock`.
    public let shared: SharedModels
    private let lock = NSLock()
    private var names: [String] = []
    /// Called with (model name, seconds) the first time the run gets each model, for the log.
    private let onLoad: @Sendable (String, Double) -> Void

    public init(shared: SharedModels = SharedModels(), onLoad: @escaping @Sendable (String, Double) -> Void = { _, _ in }) {
        self.shared = shared
        self.onLoad = onLoad
    }

    /// Models the run got so far (loaded, or found loaded by an earlier user of `shared`), in order.
    public var loadedModels: [String] { lock.lock(); defer { lock.unlock() }; return names }

    /// A Whisper model; its log-mel front end uses the run's compute threads.
    func whisper(_ model: ResolvedModel) throws -> WhisperPipeline {
        try noting(model) { try shared.whisper(at: model.location.url, threads: ComputeThreads.count) }
    }

    func voiceActivity(_ model: ResolvedModel) throws -> SileroVAD {
        try noting(model) { try shared.voiceActivity(at: model.location.url) }
    }

    func sentenceEmbedder(_ model: ResolvedModel) throws -> SentenceEmbedder {
        try noting(model) { try shared.sentenceEmbedder(at: model.location.url) }
    }

    /// PP-OCR from a folder with det.onnx, rec.onnx and cls.onnx.
    func textReader(_ model: ResolvedModel) throws -> PPOCR {
        try noting(model) { try shared.textReader(at: model.location.url) }
    }

    /// The vision-language engine of `model`, from `engines` (the standard one takes it from `shared`).
    func vision(_ model: ResolvedModel, engines: PipelineEngines) throws -> any VisionLanguageEngine {
        guard let load = engines.vision else {
            throw UnavailableError(message: "vision model '\(model.spec.name)' is not available: no vision-language engine in this build")
        }
        return try noting(model) { try load(model.location, shared) }
    }

    /// What `get` gives for `model`; the first success of each model name is recorded.
    private func noting<Model>(_ model: ResolvedModel, _ get: () throws -> Model) throws -> Model {
        let started = Date()
        let value = try get()
        lock.lock()
        let first = !names.contains(model.spec.name)
        if first { names.append(model.spec.name) }
        lock.unlock()
        if first { onLoad(model.spec.name, Date().timeIntervalSince(started)) }
        return value
    }
}
