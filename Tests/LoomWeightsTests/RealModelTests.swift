import Foundation
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// Tests/Fixtures/weights/whisper-tiny-en.json and smollm2.json (Scripts/reference/dump_weights.py).
struct ModelSummary: Decodable {
    struct Variable: Decodable {
        let name: String
        let shape: [Int]
        let dtype: String?
        let type: String?
        let sum: Double
        let abs_sum: Double?
    }
    struct Slice: Decodable {
        let name: String
        let rows: Int
        let expected: String
    }
    let variables: [Variable]?
    let tensors: [Variable]?
    let slice: Slice?
    let slices: [Slice]?
    let aliases: [String: String]?

    static func load(_ name: String) throws -> ModelSummary {
        try JSONDecoder().decode(ModelSummary.self, from: Data(contentsOf: Fixtures.url("weights/\(name)")))
    }
}

func sum(_ values: [Float]) -> Double {
    values.withUnsafeBufferPointer { $0.reduce(0) { $0 + Double($1) } }
}

@Suite struct RealModelTests {
    /// whisper-tiny.en, CTranslate2 v6 fp16. Values: tolerance 0 for the slice (f16 to f32 is exact);
    /// per-variable float64 sums within 1e-9 relative (summation order).
    @Test func whisperTinyEnCTranslate2() throws {
        guard let url = InstalledModels.file("whisper-tiny.en", "model.bin") else { return }
        let model = try CTranslate2Model(url: url)
        let summary = try ModelSummary.load("whisper-tiny-en.json")
        #expect(model.specName == "WhisperSpec")
        #expect(model.aliases == summary.aliases)
        let variables = try #require(summary.variables)
        #expect(model.tensorNames == variables.map(\.name))
        for variable in variables {
            let info = try #require(model.info(variable.name))
            #expect(info.shape == variable.shape, "\(variable.name)")
            #expect(info.dtype.description == variable.dtype, "\(variable.name)")
            let total = sum(try model.tensor(variable.name).data)
            #expect(abs(total - variable.sum) <= 1e-9 * max(1, abs(variable.sum)), "\(variable.name): \(total) vs \(variable.sum)")
        }
        let layers = model.tensorNames.filter { $0.hasPrefix("encoder/layer_") && $0.hasSuffix("/self_attention/linear_1/weight") }
        #expect(layers.count == 4)
        #expect(model.info("encoder/conv1/weight")?.shape == [384, 80, 3])
        #expect(model.info("encoder/layer_0/self_attention/linear_0/weight")?.shape == [1152, 384])
        #expect(try model.tensor("decoder/projection/weight") == (try model.tensor("decoder/embeddings/weight")))

        let slice = try #require(summary.slice)
        let tensor = try model.tensor(slice.name)
        let expected = try Fixtures.floats(slice.expected)
        let diff = maxAbsDiff(Array(tensor.data.prefix(expected.count)), expected)
        print("whisper-tiny.en \(slice.name) slice maxdiff", diff, "(tolerance 0)")
        #expect(diff == 0)

        // Every variable is a model parameter: a scope that reads them all leaves nothing unused.
        let root = WeightScope(model, separator: "/")
        for name in model.tensorNames { _ = try root.info(name) }
        _ = try root.scope("encoder").scope("layer_3").tensor("ffn/linear_0/weight", shape: [1536, 384])
        #expect(!root.unusedTensorNames.contains("encoder/layer_3/ffn/linear_0/weight"))
    }

    /// SmolLM2-135M-Instruct Q4_1 GGUF. Slices of a Q8_0 and a Q4_1 tensor: tolerance 0 against
    /// gguf.quants.dequantize. Every tensor's float64 sum and abs-sum: within 1e-9 relative.
    @Test func smolLM2GGUF() throws {
        guard let url = InstalledModels.file("smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf") else { return }
        let file = try GGUFFile(url: url)
        #expect(file.version == 3)
        #expect(file.metadata["general.architecture"]?.string == "llama")
        #expect(file.metadata["llama.block_count"]?.int == 30)
        #expect(file.metadata["llama.embedding_length"]?.int == 576)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.strings?.count == 49152)

        let summary = try ModelSummary.load("smollm2.json")
        let tensors = try #require(summary.tensors)
        #expect(file.tensorNames == tensors.map(\.name))
        var worst = 0.0
        for reference in tensors {
            let entry = try file.entry(reference.name)
            #expect(entry.type.description == reference.type)
            #expect(entry.info.shape == reference.shape)
            let values = try file.tensor(reference.name).data
            let total = sum(values)
            let absTotal = values.withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double(abs($1)) } }
            let relative = max(abs(total - reference.sum) / max(1, abs(reference.sum)),
                               abs(absTotal - (reference.abs_sum ?? .nan)) / max(1, reference.abs_sum ?? 1))
            worst = max(worst, relative)
            #expect(relative <= 1e-9, "\(reference.name)")
        }
        print("smollm2 per-tensor sums worst relative diff", worst, "(tolerance 1e-9)")

        for slice in try #require(summary.slices) {
            let tensor = try file.tensor(slice.name)
            let expected = try Fixtures.floats(slice.expected)
            let diff = maxAbsDiff(Array(tensor.data.prefix(expected.count)), expected)
            print("smollm2 \(slice.name) (\(try file.entry(slice.name).type)) slice maxdiff", diff, "(tolerance 0)")
            #expect(diff == 0)
        }
        let embedding = try file.rawBytes("token_embd.weight")
        #expect(embedding.dtype == .quantized(.q8_0))
        #expect(embedding.count == 49152 * 576 / 32 * 34)
    }
}
