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

    /// The weights of a file holding a Llama decoder alone (a GGUF file, a Hugging Face
    /// LlamaForCausalLM checkpoint), named as `names` says; every tensor of the file must be used.
    static func load(_ source: any WeightSource, names: LlamaWeightNames, config: LlamaConfig) throws -> LlamaWeights {
        let root = WeightScope(source)
        let weights = try LlamaWeights(
            decoder: names.decoder.map(root.scope) ?? root, head: names.head.map(root.scope) ?? root, names: names,
            config: config, tiedWhenHeadAbsent: config.tieWordEmbeddings)
        // Rotary caches some conversions store are recomputed here.
        try root.verifyAllUsed(ignoring: { $0.hasSuffix(names.rotaryCache) })
        return weights
    }

    /// Reads the layers, embedding and final norm under `decoder` and the output head under `head`.
    /// Without a stored head the embedding serves as the head when `tiedWhenHeadAbsent`; tied
    /// checkpoints that still carry a copy of the head read it (it equals the embedding). Does not
    /// check for left-over tensors: the caller knows what else the file holds.
    init(decoder: WeightScope, head: WeightScope, names n: LlamaWeightNames, config c: LlamaConfig, tiedWhenHeadAbsent: Bool) throws {
        let (attention, keyValue) = (c.numAttentionHeads * c.headDim, c.numKeyValueHeads * c.headDim)
        layers = try WeightScope.layers(c.numHiddenLayers) { i in
            let layer = decoder.scope(n.layers, i)
            return LlamaLayerWeights(
                attentionNorm: try layer.tensor(n.attentionNorm, shape: [c.hiddenSize]).data,
                query: try Self.matrix(layer, n.query, attention, c.hiddenSize),
                key: try Self.matrix(layer, n.key, keyValue, c.hiddenSize),
                value: try Self.matrix(layer, n.value, keyValue, c.hiddenSize),
                attentionOutput: try Self.matrix(layer, n.attentionOutput, c.hiddenSize, attention),
                mlpNorm: try layer.tensor(n.mlpNorm, shape: [c.hiddenSize]).data,
                gate: try Self.matrix(layer, n.gate, c.intermediateSize, c.hiddenSize),
                up: try Self.matrix(layer, n.up, c.intermediateSize, c.hiddenSize),
                down: try Self.matrix(layer, n.down, c.hiddenSize, c.intermediateSize))
        }
        embedding = try Self.matrix(decoder, n.embedding, c.vocabSize, c.hiddenSize)
        output = !head.contains(n.output) && tiedWhenHeadAbsent ? embedding : try Self.matrix(head, n.output, c.vocabSize, c.hiddenSize)
        finalNorm = try decoder.tensor(n.finalNorm, shape: [c.hiddenSize]).data
        ropeFrequencyFactors = try n.ropeFrequencies.flatMap { name in
            decoder.contains(name) ? try decoder.tensor(name, shape: [c.headDim / 2]).data : nil
        }
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
