import Foundation
import LoomMedia

/// `uses: index`: puts each item's transcripts, captions, answers, OCR lines and embeddings into one search
/// index file (LoomIndex, issue #6) through an `IndexSink`, opened once per run.
public struct IndexStep: PipelineStep {
    public static let kind = "index"
    public static let summary = "add transcripts, captions and embeddings to a search index file"
    public static let parameters = [
        ParameterSpec("file", .string, default: .string("media.loom"),
                      help: "the index file, in the output folder, or a PostgreSQL database: postgres://USER@HOST:PORT/DATABASE"),
    ]
    public static let accepts: Set<ArtifactKind> = [.transcript, .text, .embeddings]
    public static let produces = ArtifactKind.indexed
    public static let mediaKinds: Set<MediaKind>? = nil
    public static let runsWithoutInputs = true

    public static func check(_ parameters: StepParameters, sources: [ArtifactKind]) -> [(String?, String)] {
        let file = parameters["file"]?.string ?? ""
        if databaseURL(file) != nil { return [] }
        return file.isEmpty || file.contains("/")
            ? [("file", "file: a file name, created in the output folder, or a postgres://USER@HOST:PORT/DATABASE URL")] : []
    }

    /// A parameter's value as the plan prints it: a database URL without its password.
    static func shown(_ value: String) -> String {
        guard let url = databaseURL(value), var parts = URLComponents(url: url, resolvingAgainstBaseURL: false),
              parts.password != nil else { return value }
        parts.password = "***"
        return parts.string ?? value
    }

    /// The database `file` names when it is a PostgreSQL URL (`postgres://` or `postgresql://`).
    static func databaseURL(_ file: String) -> URL? {
        let scheme = file.prefix { $0 != ":" }.lowercased()
        guard file.contains("://"), scheme == "postgres" || scheme == "postgresql" else { return nil }
        return URL(string: file)
    }

    public static func unavailableReason(_ setup: StepSetup) -> String? {
        setup.engines.index == nil
            ? "the search index is not available: this build of Loom has no index engine (LoomIndex, issue #6)" : nil
    }

    let sink: LazySink
    let sourceSteps: [String: String]
    let embeddingModel: String?

    public init(_ setup: StepSetup) throws {
        let name = setup.parameters["file"]?.string ?? "media.loom"
        let file = Self.databaseURL(name) ?? setup.layout.stateFolder.appendingPathComponent(name)
        sourceSteps = setup.sourceSteps
        func upstreamModel(_ kind: String) -> ResolvedModel? {
            setup.sourceSteps.filter { $0.value == kind }.keys.sorted().first.flatMap { setup.upstreamModels[$0] }
        }
        let model = upstreamModel(EmbedStep.kind), speechModel = upstreamModel(TranscribeStep.kind), ocrModel = upstreamModel(OCRStep.kind)
        embeddingModel = model?.identity
        let opener = setup.engines.index
        let models = setup.pipelineModels
        sink = LazySink {
            guard let opener else { throw UnavailableError(message: "the search index is not available in this build") }
            return try opener(file, model, speechModel, ocrModel, models)
        }
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        var record = IndexRecord(path: item.url.path, mediaKind: item.kind, contentHash: item.contentHash,
                                 texts: [], embeddings: [], embeddingModel: embeddingModel)
        for input in inputs {
            switch input.artifact {
            case .transcript(let transcript):
                record.texts.append(IndexText(source: input.step, kind: .transcript, text: transcript.text,
                                              segments: transcript.segments.map { ($0.start, $0.end, $0.text) }))
            case .text(let text):
                let kind: IndexText.Kind = switch sourceSteps[input.step] {
                case AskStep.kind: .answer
                case OCRStep.kind: .ocr
                default: .caption
                }
                record.texts.append(IndexText(source: input.step, kind: kind, text: text, segments: []))
            case .embeddings(let vectors):
                record.embeddings += vectors
            default:
                break
            }
        }
        // Items with no text still go in: the index finds them by file name (and images by pixels).
        return .indexed(try sink.get().upsert(record, finishing: item.finishing))
    }

    public func finish() throws { try sink.ifOpened { try $0.finish() } }
}

/// The index, opened on first use so a run with nothing to add does not touch it.
final class LazySink: @unchecked Sendable {
    private let lock = NSLock()
    private let open: () throws -> any IndexSink
    private var sink: (any IndexSink)?

    init(_ open: @escaping () throws -> any IndexSink) { self.open = open }

    func get() throws -> any IndexSink {
        lock.lock()
        defer { lock.unlock() }
        if let sink { return sink }
        let opened = try open()
        sink = opened
        return opened
    }

    func ifOpened(_ body: (any IndexSink) throws -> Void) throws {
        lock.lock()
        let current = sink
        lock.unlock()
        if let current { try body(current) }
    }
}
