import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// Bad configs, weights, module lists and inputs give errors naming the file; nothing crashes.
@Suite struct BERTErrorTests {
    /// A copy of the tiny random model folder, changed by `edit`, removed after `body`.
    private func withTinyCopy(_ edit: (URL) throws -> Void, _ body: (URL) throws -> Void) throws {
        let folder = try Fixtures.temporaryDirectory("bert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Fixtures.url("bert/tiny-random")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try edit(folder)
        try body(folder)
    }

    private func editJSON(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
        var object = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// Expects a BERTModelError naming `file` whose kind passes `check`.
    private func expectModelError(_ file: URL, _ check: (BERTModelError.Kind) -> Bool,
                                  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a BERTModelError about \(file.lastPathComponent)", sourceLocation: sourceLocation)
        } catch let error as BERTModelError {
            print("error (expected):", error)
            #expect(error.file == file.path, sourceLocation: sourceLocation)
            #expect(check(error.kind), "\(error.kind)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a BERTModelError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Expects the registry's error (what the folder holds is its to say), naming `file`.
    private func expectRegistryError(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a ModelRegistryError about \(file.lastPathComponent)", sourceLocation: sourceLocation)
        } catch let error as ModelRegistryError {
            print("error (expected):", error)
            #expect(error.description.contains(file.path), sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a ModelRegistryError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    private static func unsupported(_ k: BERTModelError.Kind) -> Bool { if case .unsupported = k { return true }; return false }
    private static func malformed(_ k: BERTModelError.Kind) -> Bool { if case .malformed = k { return true }; return false }
    private static func badInput(_ k: BERTModelError.Kind) -> Bool { if case .badInput = k { return true }; return false }

    @Test func badConfigs() throws {
        let cases: [((inout [String: Any]) -> Void, (BERTModelError.Kind) -> Bool)] = [
            ({ $0["hidden_act"] = "relu" }, Self.unsupported),
            ({ $0["position_embedding_type"] = "relative_key" }, Self.unsupported),
            ({ $0["hidden_size"] = nil }, Self.malformed),
            ({ $0["num_attention_heads"] = 3 }, Self.malformed),
            ({ $0["num_hidden_layers"] = -1 }, Self.malformed),
            ({ $0["vocab_size"] = "35" }, Self.malformed),
            ({ $0["layer_norm_eps"] = 0 }, Self.malformed),
        ]
        for (change, check) in cases {
            try withTinyCopy({ try editJSON($0.appendingPathComponent("config.json"), change) }) { folder in
                expectModelError(folder.appendingPathComponent("config.json"), check) { _ = try BERTEncoder(folder: folder) }
            }
        }
        // Another model type, a config that is no JSON, or none: the registry cannot tell what the folder holds.
        try withTinyCopy({ try editJSON($0.appendingPathComponent("config.json")) { $0["model_type"] = "roberta" } }) { folder in
            expectRegistryError(folder.appendingPathComponent("config.json")) { _ = try BERTEncoder(folder: folder) }
        }
        try withTinyCopy({ try Data("{".utf8).write(to: $0.appendingPathComponent("config.json")) }) { folder in
            expectRegistryError(folder.appendingPathComponent("config.json")) { _ = try BERTEncoder(folder: folder) }
        }
        try withTinyCopy({ try FileManager.default.removeItem(at: $0.appendingPathComponent("config.json")) }) { folder in
            expectRegistryError(folder.appendingPathComponent("config.json")) { _ = try BERTEncoder(folder: folder) }
        }
    }

    /// Weights that do not match the config: missing, misshapen, or left over.
    @Test func weightsThatDoNotFit() throws {
        let cases: [(Int, Int, (WeightFileError.Kind) -> Bool)] = [
            (3, 32, { if case .tensorNotFound = $0 { return true }; return false }),
            (1, 32, { if case .unusedTensors(let names) = $0 { return names.allSatisfy { $0.hasPrefix("encoder.layer.1.") } }; return false }),
            (2, 64, { if case .shapeMismatch = $0 { return true }; return false }),
        ]
        for (layers, hidden, check) in cases {
            try withTinyCopy({ try editJSON($0.appendingPathComponent("config.json")) { $0["num_hidden_layers"] = layers; $0["hidden_size"] = hidden } }) { folder in
                do {
                    _ = try BERTEncoder(folder: folder)
                    Issue.record("expected a weight error for \(layers) layers, hidden \(hidden)")
                } catch let error as WeightFileError {
                    print("error (expected):", error)
                    #expect(check(error.kind), "\(error.kind)")
                    #expect(error.description.contains(folder.path))
                }
            }
        }
        try withTinyCopy({ try FileManager.default.removeItem(at: $0.appendingPathComponent("model.safetensors")) }) { folder in
            expectRegistryError(folder.appendingPathComponent("model.safetensors")) { _ = try BERTEncoder(folder: folder) }
        }
    }

    @Test func badTokenInput() throws {
        let encoder = try BERTEncoder(folder: Fixtures.url("bert/tiny-random"))
        let weights = URL(fileURLWithPath: encoder.path)
        expectModelError(weights, Self.badInput) { _ = try encoder.hiddenStates([[2, 35, 3]]) }
        expectModelError(weights, Self.badInput) { _ = try encoder.hiddenStates([[2, -1, 3]]) }
        expectModelError(weights, Self.badInput) { _ = try encoder.hiddenStates([[Int](repeating: 5, count: 41)]) }
        expectModelError(weights, Self.badInput) { _ = try encoder.hiddenStates([[2, 3]], typeIDs: [[0]]) }
        expectModelError(weights, Self.badInput) { _ = try encoder.hiddenStates([[2, 3]], typeIDs: [[0, 2]]) }
        // Empty input and empty sequences are fine: no rows, and a zero embedding.
        let (states, ranges) = try encoder.hiddenStates([[], [2, 3], []])
        #expect(states.shape == [2, 32] && ranges == [0..<0, 0..<2, 2..<2])
        #expect(try encoder.hiddenStates([]).states.shape == [0, 32])
        let typed = try encoder.hiddenStates([[2, 6, 3]], typeIDs: [[0, 1, 1]]).states
        #expect(maxAbsDiff(typed.data, try encoder.hiddenStates([[2, 6, 3]]).states.data) > 1e-3)  // type embeddings are used
    }

    @Test func badModuleLists() throws {
        let tokenizer = TableTokenizer([(String, [Int])]())
        let modules: [(String, (BERTModelError.Kind) -> Bool)] = [
            ("{}", Self.malformed),
            (#"[{"type": "sentence_transformers.models.Transformer", "path": ""}, {"type": "sentence_transformers.models.Dense", "path": "2_Dense"}]"#, Self.unsupported),
            (#"[{"type": "sentence_transformers.models.Transformer", "path": ""}]"#, Self.unsupported),
            (#"[{"type": "sentence_transformers.models.Transformer", "path": ""}, {"type": "sentence_transformers.models.Pooling", "path": "../../etc"}]"#, Self.malformed),
        ]
        for (text, check) in modules {
            try withTinyCopy({ try Data(text.utf8).write(to: $0.appendingPathComponent("modules.json")) }) { folder in
                expectModelError(folder.appendingPathComponent("modules.json"), check) { _ = try SentenceEmbedder(folder: folder, tokenizer: tokenizer) }
            }
        }
        let poolings: [(String, (BERTModelError.Kind) -> Bool)] = [
            (#"{"pooling_mode_mean_tokens": false}"#, Self.malformed),
            (#"{"pooling_mode_weightedmean_tokens": true}"#, Self.unsupported),
            ("[]", Self.malformed),
        ]
        for (text, check) in poolings {
            try withTinyCopy({ try Data(text.utf8).write(to: $0.appendingPathComponent("1_Pooling/config.json")) }) { folder in
                expectModelError(folder.appendingPathComponent("1_Pooling/config.json"), check) { _ = try SentenceEmbedder(folder: folder, tokenizer: tokenizer) }
            }
        }
        try withTinyCopy({ try Data(#"{"max_seq_length": "long"}"#.utf8).write(to: $0.appendingPathComponent("sentence_bert_config.json")) }) { folder in
            expectModelError(folder.appendingPathComponent("sentence_bert_config.json"), Self.malformed) { _ = try SentenceEmbedder(folder: folder, tokenizer: tokenizer) }
        }
        // No modules.json: a plain Hugging Face folder gets mean pooling without normalization;
        // max_seq_length beyond the position table is capped to it.
        try withTinyCopy({ folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("modules.json"))
            try Data(#"{"max_seq_length": 1000}"#.utf8).write(to: folder.appendingPathComponent("sentence_bert_config.json"))
        }) { folder in
            let embedder = try SentenceEmbedder(folder: folder, tokenizer: tokenizer)
            #expect(embedder.pooling == SentencePooling(mean: true) && !embedder.normalize && embedder.maxLength == 40)
            #expect(try embedder.embed([String]()).isEmpty)
            #expect(try embedder.embed(tokenIDs: [[]]) == [[Float](repeating: 0, count: 32)])
        }
    }

    @Test func poolingModes() {
        // Two sequences of (tokens, 2): rows 0-1 and rows 2-4.
        let states = Tensor(shape: [5, 2], data: [1, 2, 3, -4, 0, 1, 2, 1, 4, 1])
        let all = SentencePooling(cls: true, max: true, mean: true, meanSqrtLength: true)
        #expect(all.dimension(hidden: 2) == 8)
        #expect(all.pool(states, rows: 0..<2) == [1, 2, 3, 2, 2, -1, 4 / Float(2).squareRoot(), -2 / Float(2).squareRoot()])
        #expect(SentencePooling(cls: false, max: true, mean: false).pool(states, rows: 2..<5) == [4, 1])
        #expect(SentencePooling(cls: true, mean: false).pool(states, rows: 2..<5) == [0, 1])
        #expect(SentencePooling.l2Normalized([3, 4]) == [0.6, 0.8])
        #expect(SentencePooling.l2Normalized([0, 0]) == [0, 0])
    }
}
