import Foundation
import LoomMedia
import LoomModels

/// `uses: embed`: sentence embeddings (MiniLM and other sentence-transformers folders) of the texts
/// its needs produced: one vector per timed segment of a transcript (what the search index stores
/// and finds), one per caption or answer.
public struct EmbedStep: PipelineStep {
    public static let kind = "embed"
    public static let summary = "text embeddings of transcripts, captions and answers"
    public static let parameters = [
        ParameterSpec("model", .model, required: true, help: "a sentence-embedding model under models: (minilm-l6-v2)"),
    ]
    public static let accepts: Set<ArtifactKind> = [.transcript, .text]
    public static let produces = ArtifactKind.embeddings
    public static let mediaKinds: Set<MediaKind>? = nil
    /// 2: one vector per transcript segment, with its text (1: one per transcript).
    public static let resultVersion = 2

    let model: ResolvedModel
    let models: PipelineModels

    public init(_ setup: StepSetup) throws {
        model = setup.models["model"]!
        models = setup.pipelineModels
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        let texts = inputs.flatMap { input -> [(String, String)] in
            let texts: [String]
            switch input.artifact {
            case .transcript(let transcript): texts = transcript.segments.isEmpty ? [transcript.text] : transcript.segments.map(\.text)
            case .text(let caption): texts = [caption]
            default: return []
            }
            return texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.map { (input.step, $0) }
        }
        guard !texts.isEmpty else { return nil }
        let embedder = try models.sentenceEmbedder(model)
        let vectors = try embedder.embed(texts.map(\.1))
        return .embeddings(zip(texts, vectors).map { TextEmbedding(source: $0.0, text: $0.1, vector: $1) })
    }
}
