import Foundation
import LoomTensor
import LoomTestSupport
import Testing
@testable import LoomModels

/// Seeded random tiny Llamas (Scripts/reference/dump_llama.py) against transformers' logits.
@Suite struct LlamaTinyModelTests {
    struct Reference: Decodable {
        let ids: [Int]
        let prompt_length: Int
        let greedy: [Int]
        let vocab: Int
    }

    static let variants = ["tiny-untied", "tiny-tied-llama3"]
    /// Logits are O(5); float32 sums in another order differ by ~1e-6. Stated tolerance 1e-4.
    static let tolerance: Float = 1e-4

    func load(_ name: String) throws -> (LlamaModel, Reference) {
        let folder = Fixtures.url("llama/\(name)")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        return (try LlamaModel(url: folder), reference)
    }

    @Test(arguments: variants) func fullPromptLogitsMatchTransformers(name: String) throws {
        let (model, reference) = try load(name)
        #expect(model.ropePairing == .halves)
        let logits = try model.makeSession(maxTokens: 64).forward(tokens: reference.ids, allLogits: true)
        #expect(logits.shape == [reference.ids.count, reference.vocab])
        let expected = try Fixtures.floats("llama/\(name)/logits_full.f32")
        let diff = maxAbsDiff(logits.data, expected)
        print("llama \(name) full logits maxdiff", diff)
        #expect(diff < Self.tolerance)
    }

    @Test(arguments: variants) func incrementalDecodingMatchesTransformersCache(name: String) throws {
        let (model, reference) = try load(name)
        let session = model.makeSession(maxTokens: 64)
        var rows = try session.forward(tokens: Array(reference.ids[..<reference.prompt_length])).data
        for id in reference.ids[reference.prompt_length...] { rows += try session.decode(id) }
        #expect(session.position == reference.ids.count)
        let expected = try Fixtures.floats("llama/\(name)/logits_incremental.f32")
        let diff = maxAbsDiff(rows, expected)
        print("llama \(name) incremental logits maxdiff", diff)
        #expect(diff < Self.tolerance)

        // The same positions computed in one batch agree with the cached steps.
        let full = try model.makeSession(maxTokens: 64).forward(tokens: reference.ids, allLogits: true)
        let tail = Array(full.data[((reference.prompt_length - 1) * reference.vocab)...])
        print("llama \(name) incremental vs full maxdiff", maxAbsDiff(rows, tail))
        #expect(maxAbsDiff(rows, tail) < 1e-5)
    }

    @Test(arguments: variants) func greedyIdsMatchTransformersGenerate(name: String) throws {
        let (model, reference) = try load(name)
        let session = model.makeSession(maxTokens: 64)
        var logits = try session.forward(tokens: reference.ids).data
        var generated: [Int] = []
        for _ in 0..<reference.greedy.count {
            let next = logits.indices.max(by: { logits[$0] < logits[$1] })!
            generated.append(next)
            logits = try session.decode(next)
        }
        #expect(generated == reference.greedy)
    }

    @Test func embeddingEntryPointEqualsTokenEntryPoint() throws {
        let (model, reference) = try load("tiny-untied")
        let fromTokens = try model.makeSession().forward(tokens: reference.ids)
        let fromEmbeddings = try model.makeSession().forward(embeddings: try model.embed(reference.ids))
        #expect(fromTokens == fromEmbeddings)
    }

    @Test func sessionsShareOneModelAndReset() throws {
        let (model, reference) = try load("tiny-tied-llama3")
        let session = model.makeSession(maxTokens: 16)
        let first = try session.forward(tokens: reference.ids)
        session.reset()
        #expect(try session.forward(tokens: reference.ids) == first)
        #expect(try model.makeSession(maxTokens: 16).forward(tokens: reference.ids) == first)
    }

    @Test func badInputsThrowClearErrors() throws {
        let (model, _) = try load("tiny-untied")
        let session = model.makeSession(maxTokens: 4)
        #expect(throws: LlamaInputError.self) { try session.forward(tokens: [256]) }
        #expect(throws: LlamaInputError.self) { try session.forward(tokens: [-1]) }
        #expect(throws: LlamaInputError.self) { try session.forward(tokens: []) }
        #expect(throws: LlamaInputError.self) { try session.forward(tokens: [1, 2, 3, 4, 5]) }
        #expect(throws: LlamaInputError.self) { try session.forward(embeddings: Tensor(zeros: [2, 63])) }
        #expect(throws: LlamaInputError.self) { try session.decode(999) }
        _ = try session.forward(tokens: [1, 2, 3, 4])
        do {
            _ = try session.decode(5)
            Issue.record("a full context must throw")
        } catch let error as LlamaInputError {
            #expect(error.description.contains("4 positions"))
        }
        #expect(throws: LlamaInputError.self) { try model.embed([300]) }
    }
}
