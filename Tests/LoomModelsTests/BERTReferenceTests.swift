import Foundation
import LoomModels
import LoomTestSupport
import Testing

/// BertModel + mean pooling + normalize against transformers (Scripts/reference/dump_bert.py).
@Suite struct BERTReferenceTests {
    struct TinyCase: Decodable {
        let text: String
        let ids: [Int]
        let hidden: [Float]
        let embedding: [Float]
    }

    struct TinyReference: Decodable { let cases: [TinyCase] }

    struct MiniLMReference: Decodable {
        let sentences: [String]
        let ids: [[Int]]
        let embeddings: [[Float]]
    }

    static let tinyFolder = Fixtures.url("bert/tiny-random")

    static func tinyReference() throws -> TinyReference {
        try JSONDecoder().decode(TinyReference.self, from: Data(contentsOf: tinyFolder.appendingPathComponent("reference.json")))
    }

    @Test func tinyRandomHiddenStatesMatchTransformers() throws {
        let reference = try Self.tinyReference()
        let encoder = try BERTEncoder(folder: Self.tinyFolder)
        #expect(encoder.config.hiddenSize == 32 && encoder.config.layerCount == 2)
        // All sequences in one packed call: the reference ran them as one padded, masked batch.
        let (states, ranges) = try encoder.hiddenStates(reference.cases.map(\.ids))
        var worst: Float = 0
        for (c, range) in zip(reference.cases, ranges) {
            let rows = Array(states.data[(range.lowerBound * 32)..<(range.upperBound * 32)])
            worst = max(worst, maxAbsDiff(rows, c.hidden))
        }
        print("bert tiny hidden maxdiff", worst)
        #expect(worst < 1e-5)
        // Each sequence alone gives the same states as inside the packed batch.
        let alone = try encoder.hiddenStates([reference.cases[1].ids]).states
        #expect(maxAbsDiff(alone.data, Array(states.data[(ranges[1].lowerBound * 32)..<(ranges[1].upperBound * 32)])) < 1e-6)
    }

    @Test func tinyRandomEmbeddingsMatchTransformers() throws {
        let reference = try Self.tinyReference()
        var embedder = try SentenceEmbedder(folder: Self.tinyFolder, tokenizer: TableTokenizer(reference.cases))
        #expect(embedder.maxLength == 24 && embedder.normalize && embedder.dimension == 32)
        embedder.tokensPerBatch = 20  // several encoder calls
        let embeddings = try embedder.embed(tokenIDs: reference.cases.map(\.ids))
        let worst = zip(embeddings, reference.cases).map { maxAbsDiff($0, $1.embedding) }.max()!
        print("bert tiny embedding maxdiff", worst)
        #expect(worst < 1e-5)
        // Texts go through the tokenizer with the folder's max_seq_length, in order.
        // Other packing changes GEMM blocking, so the last bits may differ.
        let viaText = try embedder.embed(reference.cases.map(\.text).reversed())
        #expect(viaText.count == embeddings.count)
        let textDiff = zip(viaText, embeddings.reversed()).map { maxAbsDiff($0, $1) }.max()!
        print("bert tiny text-path vs id-path maxdiff", textDiff)
        #expect(textDiff < 1e-6)
    }

    @Test func miniLMEmbeddingsMatchSentenceTransformers() throws {
        guard let weights = InstalledModels.file("minilm-l6-v2", "model.safetensors") else { return }
        let folder = weights.deletingLastPathComponent()
        let reference = try JSONDecoder().decode(MiniLMReference.self, from: Data(contentsOf: Fixtures.url("bert/minilm.json")))
        let embedder = try SentenceEmbedder(folder: folder, tokenizer: TableTokenizer(zip(reference.sentences, reference.ids)))
        #expect(embedder.dimension == 384 && embedder.maxLength == 256 && embedder.normalize)
        #expect(embedder.pooling == SentencePooling(mean: true))
        let embeddings = try embedder.embed(tokenIDs: reference.ids)
        let worst = zip(embeddings, reference.embeddings).map { maxAbsDiff($0, $1) }.max()!
        print("bert minilm embedding maxdiff", worst, "over", reference.ids.count, "sentences, longest", reference.ids.map(\.count).max()!, "tokens")
        #expect(worst < 1e-4)

        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map(*).reduce(0, +) }
        let eating = cosine(embeddings[0], embeddings[1]), riding = cosine(embeddings[0], embeddings[2])
        print("cosine eating/bread", eating, "eating/horse", riding)
        #expect(eating > riding)
        for e in embeddings { #expect(abs(cosine(e, e) - 1) < 1e-5) }
    }
}

/// Looks token ids up by exact text from the reference dump, so SentenceEmbedder's text path (order,
/// max length, batching) is tested here without LoomTokenizers, which LoomModels does not depend on.
/// The tokenizer itself is tested against Hugging Face in LoomTokenizersTests.
struct TableTokenizer: SentenceTokenizer {
    let table: [String: [Int]]

    init(_ cases: [BERTReferenceTests.TinyCase]) {
        table = Dictionary(cases.map { ($0.text, $0.ids) }, uniquingKeysWith: { a, _ in a })
    }

    init<S: Sequence>(_ pairs: S) where S.Element == (String, [Int]) {
        table = Dictionary(pairs.map { $0 }, uniquingKeysWith: { a, _ in a })
    }

    func sentenceTokenIDs(_ text: String, maxLength: Int) -> [Int] {
        precondition(maxLength == 24 || maxLength == 256, "unexpected max length \(maxLength)")
        return table[text] ?? []
    }
}
