import Foundation
import LoomModels
import LoomTestSupport
import Testing

/// all-MiniLM-L6-v2 from text, with its own WordPiece tokenizer (ids and embeddings are checked against
/// the reference in BERTReferenceTests and WordPieceTests; this checks the two joined).
@Suite struct BERTTextPathTests {
    @Test func paraphrasesRankFirst() throws {
        guard let file = InstalledModels.file("minilm-l6-v2", "model.safetensors") else { return }
        let embedder = try SentenceEmbedder(folder: file.deletingLastPathComponent())
        let vectors = try embedder.embed(["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."])
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(vectors.allSatisfy { $0.count == 384 && abs(cosine($0, $0) - 1) < 1e-5 })
        let bread = cosine(vectors[0], vectors[1]), horse = cosine(vectors[0], vectors[2])
        print("cosine food~bread", bread, "food~horse", horse)
        #expect(bread > horse + 0.3)
    }
}
