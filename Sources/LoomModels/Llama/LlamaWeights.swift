import Foundation
import LoomTensor
import LoomWeights

/// How query/key features pair up for rotary embeddings.
///
/// Hugging Face checkpoints use `rotate_half`: feature i pairs with i + d/2 (`.halves`).
/// llama.cpp's convert_hf_to_gguf.py permutes the rows of q_proj/k_proj (`LlamaModel.permute`) so
/// that ggml's normal rope mode (LLAMA_ROPE_TYPE_NORM: features 2i and 2i+1 rotate together,
/// `.adjacent`) computes the same attention. A GGUF file therefore needs `.adjacent`.
public enum LlamaRopePairing: Sendable, Equatable {
    case halves, adjacent
}

/// One decoder layer's weights. Matrices are (out, in) and stay in their stored form.
struct LlamaLayerWeights: Sendable {
    let attentionNorm: [Float]
    let query, key, value, attentionOutput: QuantizedMatrix
    let mlpNorm: [Float]
    let gate, up, down: QuantizedMatrix
}

/// All weights of a Llama model, immutable and shareable across sessions and threads.
struct LlamaWeights: Sendable {
    let embedding: QuantizedMatrix  // (vocab, hidden)
    let layers: [LlamaLayerWeights]
    let finalNorm: [Float]
    let output: QuantizedMatrix  // (vocab, hidden); the embedding when tied
    /// Per-frequency divisors from GGUF `rope_freqs.weight` (llama 3 scaling baked in by llama.cpp).
    let ropeFrequencyFactors: [Float]?

    /// Tensor names of a GGUF file (llama.cpp's LLM_TENSOR_NAMES for LLM_ARCH_LLAMA).
    static func gguf(_ source: GGUFFile, config: LlamaConfig) throws -> LlamaWeights {
        let root = WeightScope(source)
        let c = config
        let layers = try (0..<c.numHiddenLayers).map { i in
            let blk = root.scope("blk", i)
            return LlamaLayerWeights(
                attentionNorm: try blk.tensor("attn_norm.weight", shape: [c.hiddenSize]).data,
                query: try matrix(blk, "attn_q.weight", c.numAttentionHeads * c.headDim, c.hiddenSize),
                key: try matrix(blk, "attn_k.weight", c.numKeyValueHeads * c.headDim, c.hiddenSize),
                value: try matrix(blk, "attn_v.weight", c.numKeyValueHeads * c.headDim, c.hiddenSize),
                attentionOutput: try matrix(blk, "attn_output.weight", c.hiddenSize, c.numAttentionHeads * c.headDim),
                mlpNorm: try blk.tensor("ffn_norm.weight", shape: [c.hiddenSize]).data,
                gate: try matrix(blk, "ffn_gate.weight", c.intermediateSize, c.hiddenSize),
                up: try matrix(blk, "ffn_up.weight", c.intermediateSize, c.hiddenSize),
                down: try matrix(blk, "ffn_down.weight", c.hiddenSize, c.intermediateSize))
        }
        let embedding = try matrix(root, "token_embd.weight", c.vocabSize, c.hiddenSize)
        let output = c.tieWordEmbeddings ? embedding : try matrix(root, "output.weight", c.vocabSize, c.hiddenSize)
        let factors = root.contains("rope_freqs.weight") ? try root.tensor("rope_freqs.weight", shape: [c.headDim / 2]).data : nil
        let weights = LlamaWeights(embedding: embedding, layers: layers,
                                   finalNorm: try root.tensor("output_norm.weight", shape: [c.hiddenSize]).data,
                                   output: output, ropeFrequencyFactors: factors)
        // llama.cpp writes rotary caches of some old conversions; they are recomputed here.
        try root.verifyAllUsed(ignoring: { $0.hasSuffix("attn_rot_embd") })
        return weights
    }

    /// Tensor names of a Hugging Face LlamaForCausalLM checkpoint (modeling_llama.py).
    static func huggingFace(_ source: any WeightSource, config: LlamaConfig) throws -> LlamaWeights {
        let root = WeightScope(source)
        let model = root.scope("model")
        let c = config
        let layers = try (0..<c.numHiddenLayers).map { i in
            let layer = model.scope("layers", i)
            return LlamaLayerWeights(
                attentionNorm: try layer.tensor("input_layernorm.weight", shape: [c.hiddenSize]).data,
                query: try matrix(layer, "self_attn.q_proj.weight", c.numAttentionHeads * c.headDim, c.hiddenSize),
                key: try matrix(layer, "self_attn.k_proj.weight", c.numKeyValueHeads * c.headDim, c.hiddenSize),
                value: try matrix(layer, "self_attn.v_proj.weight", c.numKeyValueHeads * c.headDim, c.hiddenSize),
                attentionOutput: try matrix(layer, "self_attn.o_proj.weight", c.hiddenSize, c.numAttentionHeads * c.headDim),
                mlpNorm: try layer.tensor("post_attention_layernorm.weight", shape: [c.hiddenSize]).data,
                gate: try matrix(layer, "mlp.gate_proj.weight", c.intermediateSize, c.hiddenSize),
                up: try matrix(layer, "mlp.up_proj.weight", c.intermediateSize, c.hiddenSize),
                down: try matrix(layer, "mlp.down_proj.weight", c.hiddenSize, c.intermediateSize))
        }
        let embedding = try matrix(model, "embed_tokens.weight", c.vocabSize, c.hiddenSize)
        // Tied checkpoints may still carry a copy of lm_head; it then equals the embedding.
        let output = c.tieWordEmbeddings && !root.contains("lm_head.weight")
            ? embedding : try matrix(root, "lm_head.weight", c.vocabSize, c.hiddenSize)
        let weights = LlamaWeights(embedding: embedding, layers: layers,
                                   finalNorm: try model.tensor("norm.weight", shape: [c.hiddenSize]).data,
                                   output: output, ropeFrequencyFactors: nil)
        try root.verifyAllUsed(ignoring: { $0.hasSuffix("rotary_emb.inv_freq") })
        return weights
    }

    /// A (rows, cols) matrix kept in its stored form when a kernel reads it directly (F32, F16,
    /// BF16, Q8_0, Q4_0, Q4_1); other ggml types (Q4_K, Q5_K, Q6_K) are dequantized once to float32.
    static func matrix(_ scope: WeightScope, _ name: String, _ rows: Int, _ cols: Int) throws -> QuantizedMatrix {
        let info = try scope.info(name)
        guard info.shape == [rows, cols] else {
            throw WeightFileError(file: scope.source.path, .shapeMismatch(tensor: scope.fullName(name), expected: [rows, cols], actual: info.shape))
        }
        let format: QuantizedFormat?
        switch info.dtype {
        case .float32: format = .f32
        case .float16: format = .f16
        case .bfloat16: format = .bf16
        case .quantized(.q8_0): format = .q8_0
        case .quantized(.q4_0): format = .q4_0
        case .quantized(.q4_1): format = .q4_1
        case .quantized(let type) where type.canDequantize: format = nil
        default:
            throw LlamaError(file: scope.source.path, .unsupportedWeightType(tensor: scope.fullName(name), dtype: "\(info.dtype)"))
        }
        guard let format else { return QuantizedMatrix(try scope.tensor(name, shape: [rows, cols])) }
        let raw = try scope.rawBytes(name, shape: [rows, cols])
        let bytes = try raw.file.bytes(at: raw.offset, count: raw.count)
        guard let base = bytes.baseAddress ?? (rows * cols == 0 ? UnsafeRawPointer(bitPattern: 16) : nil) else {
            throw LlamaError(file: scope.source.path, .invalidConfig("tensor '\(scope.fullName(name))' has no data"))
        }
        return QuantizedMatrix(format: format, rows: rows, cols: cols, bytes: base, byteCount: raw.count, owner: raw.file)
    }
}
