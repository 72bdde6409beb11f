import Foundation
import LoomTestSupport
import LoomWeights
import Testing
@testable import LoomModels

@Suite struct LlamaConfigTests {
    @Test func readsTransformers5RopeParameters() throws {
        let config = try LlamaConfig(contentsOf: Fixtures.url("llama/tiny-tied-llama3/config.json"))
        #expect(config.hiddenSize == 64 && config.numHiddenLayers == 2 && config.numAttentionHeads == 4)
        #expect(config.numKeyValueHeads == 2 && config.headDim == 16 && config.vocabSize == 256)
        #expect(config.tieWordEmbeddings && config.ropeTheta == 10000 && config.rmsNormEps == 1e-5)
        #expect(config.ropeScaling == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16))
        let untied = try LlamaConfig(contentsOf: Fixtures.url("llama/tiny-untied/config.json"))
        #expect(untied.ropeScaling == nil && !untied.tieWordEmbeddings)
    }

    @Test func readsLegacyKeysAndDefaults() throws {
        let json = #"{"model_type":"llama","hidden_size":128,"num_attention_heads":4,"rope_theta":500000,"rope_scaling":{"type":"linear","factor":2.0}}"#
        let config = try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
        #expect(config.ropeTheta == 500000 && config.ropeScaling == .linear(factor: 2))
        #expect(config.numKeyValueHeads == 4 && config.headDim == 32 && config.vocabSize == 32000)
        #expect(config.rmsNormEps == 1e-6 && config.maxPositionEmbeddings == 2048 && !config.tieWordEmbeddings)
        let roundTrip = try JSONDecoder().decode(LlamaConfig.self, from: JSONEncoder().encode(config))
        #expect(roundTrip == config)
    }

    @Test func linearAndLlama3ScalingFollowTransformers() {
        // transformers' _compute_llama3_parameters for theta 10000, d 16, factor 8, low 1, high 4,
        // original 16: wavelengths below 16/4 kept, above 16/1 divided by 8, a ramp between.
        // Frequency 1 (wavelength 2 pi) is on the ramp: smooth = (16 / 2pi - 1) / 3,
        // (1 - smooth) / 8 + smooth = 0.5760564...
        let base = (0..<8).map { 1 / pow(10000.0, Double(2 * $0) / 16) }
        let scaled = LlamaRopeScaling.llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16).scale(base)
        #expect(abs(scaled[0] - 0.576056401) < 1e-8)
        #expect(LlamaRopeScaling.llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64).scale([1])[0] == 1)
        #expect(abs(scaled[7] - base[7] / 8) < 1e-15)  // wavelength > 16: divided
        #expect(LlamaRopeScaling.linear(factor: 4).scale([1, 0.5]) == [0.25, 0.125])
    }

    @Test func wrongModelTypeNamesTheFile() throws {
        let folder = try Fixtures.temporaryDirectory("llama-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")
        try Data(#"{"model_type":"bert","hidden_size":64}"#.utf8).write(to: url)
        #expect(throws: LlamaError(file: url.path, .wrongArchitecture(found: "bert"))) { try LlamaConfig(contentsOf: url) }
        try Data(#"{"model_type":"llama","rope_scaling":{"rope_type":"yarn","factor":4}}"#.utf8).write(to: url)
        #expect(throws: LlamaError(file: url.path, .unsupportedRopeScaling("yarn"))) { try LlamaConfig(contentsOf: url) }
        try Data(#"{"model_type":"llama","num_attention_heads":5,"num_key_value_heads":2}"#.utf8).write(to: url)
        #expect(throws: LlamaError.self) { try LlamaConfig(contentsOf: url) }
        try Data("not json".utf8).write(to: url)
        #expect(throws: LlamaError.self) { try LlamaConfig(contentsOf: url) }
        let absent = folder.appendingPathComponent("absent.gguf")
        #expect(throws: ModelRegistryError.notFound(path: absent.path)) { try LlamaModel(url: absent) }
    }

    /// The registry turns away other architectures (naming the file and the ones it knows); a llama
    /// GGUF without its sizes is the config reader's error.
    @Test func ggufOfAnotherArchitectureNamesTheFile() throws {
        let folder = try Fixtures.temporaryDirectory("llama-gguf")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("other.gguf")
        try GGUFBuilder(strings: [("general.architecture", "whisper")]).write(to: url)
        do {
            _ = try LlamaModel(url: url)
            Issue.record("expected an error")
        } catch let error as ModelRegistryError {
            #expect(error == .unknownKey(file: url.path, key: .ggufArchitecture("whisper"), known: ModelRegistry.known(like: .ggufArchitecture(""))))
            #expect(error.description.contains(url.path) && error.description.contains("\"llama\""))
        }
        try GGUFBuilder(strings: [("general.architecture", "llama")]).write(to: url)
        #expect(throws: LlamaError(file: url.path, .missingMetadata("llama.embedding_length"))) { try LlamaModel(url: url) }
    }

    /// Found by fuzz-gguf: a `block_count` of four billion made the loader reserve room for every
    /// layer before reading the first (an allocation of hundreds of gigabytes). Now the first
    /// missing layer tensor is the error, naming the file.
    @Test func aHugeLayerCountFailsAtItsFirstMissingLayer() throws {
        let folder = try Fixtures.temporaryDirectory("llama-gguf")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("layers.gguf")
        var gguf = GGUFBuilder(tensorCount: 0, keyCount: 6)
        gguf.keyString("general.architecture", "llama")
        for (key, value) in [("vocab_size", 4), ("embedding_length", 8), ("block_count", 4_000_000_000), ("feed_forward_length", 16), ("attention.head_count", 2)] {
            gguf.keyUInt32("llama." + key, UInt32(value))
        }
        try gguf.write(to: url)
        let error = #expect(throws: (any Error).self) { try LlamaModel(url: url) }
        print("expected error:", error.map { "\($0)" } ?? "none")
        #expect("\(error.map { "\($0)" } ?? "")".contains(url.path))
    }
}
