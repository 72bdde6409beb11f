import Foundation
import LoomWeights

extension LlamaConfig {
    /// Reads the `llama.*` metadata of a GGUF file, as llama.cpp's `llm_load_hparams`
    /// (src/llama-model.cpp) and transformers' GGUF config mapping
    /// (transformers/integrations/ggml.py) do.
    ///
    /// Required: llama.embedding_length, block_count, feed_forward_length, attention.head_count.
    /// Defaults: attention.head_count_kv = head_count; attention.key_length = embedding_length /
    /// head_count; context_length 2048; attention.layer_norm_rms_epsilon 1e-5 (llama.cpp's);
    /// rope.freq_base 10000; vocab size from llama.vocab_size, else the tokenizer.ggml.tokens
    /// count, else token_embd's rows. The output head is tied when `output.weight` is absent.
    public init(gguf: GGUFFile) throws {
        let file = gguf.path
        let architecture = gguf.metadata["general.architecture"]?.string ?? "missing"
        guard architecture == "llama" else { throw LlamaError(file: file, .wrongArchitecture(found: architecture)) }
        func int(_ key: String) throws -> Int? {
            guard let value = gguf.metadata["llama." + key] else { return nil }
            guard let number = value.int else { throw LlamaError(file: file, .missingMetadata("llama." + key)) }
            return number
        }
        func required(_ key: String) throws -> Int {
            guard let value = try int(key) else { throw LlamaError(file: file, .missingMetadata("llama." + key)) }
            return value
        }
        func double(_ key: String) throws -> Double? {
            guard let value = gguf.metadata["llama." + key] else { return nil }
            guard let number = value.double else { throw LlamaError(file: file, .missingMetadata("llama." + key)) }
            return number
        }
        let hidden = try required("embedding_length")
        let heads = try required("attention.head_count")
        var vocab = try int("vocab_size")
        if vocab == nil { vocab = gguf.metadata["tokenizer.ggml.tokens"]?.array?.count }
        if vocab == nil { vocab = gguf.info(LlamaWeightNames.gguf.embedding)?.shape.first }
        guard let vocab else { throw LlamaError(file: file, .missingMetadata("llama.vocab_size")) }

        var scaling: LlamaRopeScaling? = nil
        let scalingType = gguf.metadata["llama.rope.scaling.type"]?.string ?? "none"
        switch scalingType {
        case "none":
            break
        case "linear":
            guard let factor = try double("rope.scaling.factor") else { throw LlamaError(file: file, .missingMetadata("llama.rope.scaling.factor")) }
            if factor != 1 { scaling = .linear(factor: factor) }
        default:
            throw LlamaError(file: file, .unsupportedRopeScaling(scalingType))
        }

        self.init(
            vocabSize: vocab, hiddenSize: hidden,
            intermediateSize: try required("feed_forward_length"),
            numHiddenLayers: try required("block_count"),
            numAttentionHeads: heads,
            numKeyValueHeads: try int("attention.head_count_kv"),
            headDim: try int("attention.key_length"),
            maxPositionEmbeddings: try int("context_length") ?? 2048,
            rmsNormEps: Float(try double("attention.layer_norm_rms_epsilon") ?? 1e-5),
            ropeTheta: try double("rope.freq_base") ?? 10000,
            ropeScaling: scaling,
            tieWordEmbeddings: !gguf.contains(LlamaWeightNames.gguf.output))
        if let rotated = try int("rope.dimension_count"), rotated != headDim {
            throw LlamaError(file: file, .invalidConfig("llama.rope.dimension_count \(rotated) differs from the head size \(headDim); partial rotary embeddings are not supported"))
        }
        try validate(file: file)
    }
}
