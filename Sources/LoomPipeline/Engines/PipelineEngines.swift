import Foundation
import LoomMedia
import LoomModelStore
import LoomQueue
import LoomTasks

/// A vision-language model as the caption and ask steps use it (SmolVLM / Idefics3, issue #5).
/// One instance serves every item of a run from several threads.
public protocol VisionLanguageEngine: Sendable {
    /// A caption of `image`, prompted with `prompt`, at most `maxTokens` tokens; `tiling` splits large
    /// images into tiles plus a global view.
    func caption(_ image: RGBImage, prompt: String, maxTokens: Int, tiling: Bool) throws -> String
    /// The answer to `question` about `image`, at most `maxTokens` tokens.
    func answer(_ question: String, about image: RGBImage, maxTokens: Int, tiling: Bool) throws -> String
}

/// Where the index step puts items (the SQLite search index, issue #6).
/// `upsert` must be idempotent per `record.path`: after a killed run the same item may come again.
public protocol IndexSink: Sendable {
    /// Adds or replaces the item; returns the id it has in the index. With `finishing` (a queue
    /// worker's item), an index in the queue's database commits the item's rows and its done mark
    /// in one transaction, or throws `ClaimLost` with nothing committed; other indexes ignore it.
    func upsert(_ record: IndexRecord, finishing: ClaimFinish?) throws -> String
    /// Commits and closes, once after the last item.
    func finish() throws
}

/// Everything a pipeline learned about one file, for the index.
public struct IndexRecord: Sendable {
    public var path: String
    public var mediaKind: MediaKind
    public var contentHash: String
    public var texts: [IndexText]
    /// The embed step's vectors of those texts; the index stores them instead of embedding again.
    public var embeddings: [TextEmbedding]
    /// The embedding model's identity, so an index never mixes vectors of two models.
    public var embeddingModel: String?
}

public struct IndexText: Sendable {
    public enum Kind: String, Sendable { case transcript, caption, answer, ocr }
    /// The step that produced it.
    public var source: String
    public var kind: Kind
    public var text: String
    /// Timed segments (start, end in seconds, text) for transcripts; empty otherwise.
    public var segments: [(start: Double, end: Double, text: String)]
}

/// The engines this build of Loom has. Steps whose engine is nil report "not available" instead of
/// running; `PipelineEngines.standard` (StandardEngines.swift) is where the real ones are plugged in.
public struct PipelineEngines: Sendable {
    /// The engine for a model, asked for each item that needs it: the standard one comes from
    /// `models`, the process's shared cache, so the model loads once.
    public typealias VisionLoader = @Sendable (ModelLocation, SharedModels) throws -> any VisionLanguageEngine
    /// Opens (creating if needed) the index at a file. `embeddingModel` is the embed step's model, which
    /// the index also uses for what the embed step did not embed (file names) and for queries, taken
    /// from the run's `models` (the embed step's instance); `speechModel` the transcribe step's,
    /// recorded with the transcripts and in each audio item's fingerprint; `ocrModel` the ocr step's,
    /// likewise for the lines read in images.
    public typealias IndexOpener = @Sendable (_ file: URL, _ embeddingModel: ResolvedModel?, _ speechModel: ResolvedModel?,
                                              _ ocrModel: ResolvedModel?, _ models: PipelineModels) throws -> any IndexSink

    public var vision: VisionLoader?
    public var index: IndexOpener?

    public init(vision: VisionLoader? = nil, index: IndexOpener? = nil) {
        self.vision = vision
        self.index = index
    }
}
