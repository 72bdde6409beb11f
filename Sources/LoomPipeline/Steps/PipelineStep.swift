import Foundation
import LoomMedia
import LoomModelStore
import LoomQueue
import LoomTasks

/// What a step hands to the steps that need it.
public enum Artifact: Sendable {
    case media(DecodedMedia)
    case transcript(Transcript)
    /// A caption or an answer.
    case text(String)
    case embeddings([TextEmbedding])
    /// The id under which an item went into an index.
    case indexed(String)
    /// Files written, as paths.
    case files([String])

    public var kind: ArtifactKind {
        switch self {
        case .media: return .media
        case .transcript: return .transcript
        case .text: return .text
        case .embeddings: return .embeddings
        case .indexed: return .indexed
        case .files: return .files
        }
    }
}

public enum ArtifactKind: String, Sendable, Hashable, Codable {
    case media, transcript, text, embeddings, indexed, files
}

public enum DecodedMedia: Sendable {
    case image(RGBImage)
    case audio(AudioBuffer)
}

/// One text's embedding and where the text came from.
public struct TextEmbedding: Codable, Sendable, Equatable {
    /// The step whose text was embedded.
    public var source: String
    /// The text embedded (a transcript's timed segment, a caption); nil in caches of earlier versions.
    public var text: String?
    public var vector: [Float]

    public init(source: String, text: String?, vector: [Float]) {
        self.source = source
        self.text = text
        self.vector = vector
    }
}

/// One input file as the runner hands it to steps.
public struct PipelineItem: Sendable {
    public let url: URL
    /// The input folder it was found under.
    public let root: URL
    /// Its path below `root`.
    public let relativePath: String
    public let kind: MediaKind
    /// SHA-256 of the file's bytes: the cache key's base, so a renamed file keeps its results.
    public let contentHash: String
    /// Set by a queue worker (QueueWorker): an index step writing to the queue's database marks the
    /// item done in the same transaction as its rows, so a worker that lost its claim commits nothing.
    public var finishing: ClaimFinish? = nil

    public var displayPath: String { DisplayPath.of(url) }
}

/// An upstream step's result as a step receives it.
public struct StepInput: Sendable {
    public let step: String
    public let artifact: Artifact
}

/// A model a step names, found on disk (not loaded).
public struct ResolvedModel: Sendable {
    public let spec: ModelSpec
    public let location: ModelLocation
    /// Names the exact weights in cache keys: catalog name or path, plus file sizes and dates.
    public let identity: String
}

/// What a step is built from at the start of a run. Models are loaded through `pipelineModels`, on first use,
/// so a run with nothing left to do loads none.
public struct StepSetup: Sendable {
    public let id: String
    public let parameters: StepParameters
    /// By parameter name (`model`, `vad_model`).
    public let models: [String: ResolvedModel]
    public let pipelineModels: PipelineModels
    public let engines: PipelineEngines
    public let layout: OutputLayout
    /// Writes every result file (never over an input or a file Loom did not write).
    public let writer: OutputWriter
    /// The `uses:` word of each step it needs, by id.
    public let sourceSteps: [String: String]
    /// The `model` of each step it needs, by id (the index loads the embed step's model for its queries).
    public let upstreamModels: [String: ResolvedModel]
}

/// One kind of step (`uses:`): its declared parameters, what it takes and gives, and its work.
/// Steps are built once per run and shared by the worker threads, so they are Sendable.
public protocol PipelineStep: Sendable {
    /// The `uses:` word.
    static var kind: String { get }
    static var summary: String { get }
    static var parameters: [ParameterSpec] { get }
    /// Artifact kinds it accepts from its needs; empty: it takes the file itself (decode).
    static var accepts: Set<ArtifactKind> { get }
    static var produces: ArtifactKind { get }
    /// The media it works on; nil: whatever its needs work on.
    static var mediaKinds: Set<MediaKind>? { get }
    /// Whether results go in the per-item cache (decoded pixels do not: cheap to redo, big to keep).
    static var isCached: Bool { get }
    /// Whether it runs for an item whose needs gave nothing (index: every file is found by its name).
    static var runsWithoutInputs: Bool { get }
    /// Raised when the shape of the step's result changes, so results cached by an earlier Loom are
    /// computed again instead of read.
    static var resultVersion: Int { get }
    /// Checks that need more than each parameter's type; (parameter or nil, message).
    static func check(_ parameters: StepParameters, sources: [ArtifactKind]) -> [(String?, String)]
    /// Why the step cannot run in this build or on this machine (no engine, no model), or nil.
    static func unavailableReason(_ setup: StepSetup) -> String?

    init(_ setup: StepSetup) throws
    /// The step's result for `item`, or nil when it has nothing to do for it (e.g. no text to embed).
    func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact?
    /// Whether a cached result still stands (write: its files are still there).
    func isStillValid(_ cached: Artifact) -> Bool
    /// Called once after the last item (index: commit and close).
    func finish() throws
}

extension PipelineStep {
    public static var isCached: Bool { true }
    public static var runsWithoutInputs: Bool { false }
    public static var resultVersion: Int { 1 }
    public static func check(_ parameters: StepParameters, sources: [ArtifactKind]) -> [(String?, String)] { [] }
    public static func unavailableReason(_ setup: StepSetup) -> String? { nil }
    public func isStillValid(_ cached: Artifact) -> Bool { true }
    public func finish() throws {}
}

/// A step failed on one item; the message names the item and the step.
public struct StepFailure: Error, Sendable, CustomStringConvertible {
    public let item: String
    public let step: String
    public let message: String

    public var description: String {
        message.contains(item) || message.contains(URL(fileURLWithPath: item).lastPathComponent)
            ? "\(step): \(message)" : "\(item): \(step): \(message)"
    }
}

/// A step's work needs a model or engine that is not there.
public struct UnavailableError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
