import Foundation
import LoomMedia
import LoomModels

/// `uses: embed`: sentence embeddings (MiniLM and other sentence-transformers folders) of the texts
/// its needs produced: transcripts and captions/answers, one vector per source step.
public struct EmbedStep: PipelineStep {
    public static let kind = "embed"
    public static let summary = "text embeddings of transcripts, captions and answers"
    public static let parameters = [
        ParameterSpec("model", .model, required: true, help: "a sentence-embedding model under models: (minilm-l6-v2)"),
    ]
    public static let accepts: Set<ArtifactKind> = [.transcript, .text]
    public static let produces = ArtifactKind.embeddings
    public static let mediaKinds: Set<MediaKind>? = nil

    let model: ResolvedModel
    let pool: ModelPool

    public init(_ setup: StepSetup) throws {
        model = setup.models["model"]!
        pool = setup.pool
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        let texts = inputs.compactMap { input -> (String, String)? in
            let text: String
            switch input.artifact {
            case .transcript(let transcript): text = transcript.text
            case .text(let caption): text = caption
            default: return nil
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : (input.step, trimmed)
        }
        guard !texts.isEmpty else { return nil }
        let embedder = try pool.shared(model, as: SentenceEmbedder.self) { try SentenceEmbedder(folder: $0.url) }
        let vectors = try embedder.embed(texts.map(\.1))
        return .embeddings(zip(texts, vectors).map { TextEmbedding(source: $0.0, vector: $1) })
    }
}
