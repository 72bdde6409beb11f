import LoomTensor
import LoomWeights

/// SiglipMultiheadAttentionPoolingHead (transformers/models/siglip/modeling_siglip.py): a learned
/// probe attends over all patches with torch.nn.MultiheadAttention, then x + mlp(layernorm(x)).
public struct SigLIPAttentionPoolingHead: Sendable {
    let probe: Tensor  // (1, D)
    /// MultiheadAttention.in_proj (q, k, v rows stacked, (3D, D)) split at load: q (D, D) for the
    /// probe, k and v (2D, D) for the patches.
    let queryProjection: LinearLayer
    let keyValueProjection: LinearLayer
    let outProjection: LinearLayer
    let layerNorm: LayerNormLayer
    let mlp: FeedForward
    let heads: Int

    /// Reads `probe`, `attention.in_proj_*`, `attention.out_proj`, `layernorm`, `mlp` under `scope` (`head`).
    public init(_ scope: WeightScope, config: SigLIPVisionConfig) throws {
        typealias Names = ViTWeightNames.PoolingHead
        let d = config.hiddenSize
        let attention = scope.scope(Names.attention)
        probe = try scope.tensor(Names.probe, shape: [1, 1, d]).reshaped([1, d])
        let w = try attention.tensor(Names.inProjectionWeight, shape: [3 * d, d]).data
        let b = try attention.tensor(Names.inProjectionBias, shape: [3 * d]).data
        queryProjection = LinearLayer(
            weight: Tensor(shape: [d, d], data: Array(w[0..<(d * d)])), bias: Tensor(shape: [d], data: Array(b[0..<d])))
        keyValueProjection = LinearLayer(
            weight: Tensor(shape: [2 * d, d], data: Array(w[(d * d)...])), bias: Tensor(shape: [2 * d], data: Array(b[d...])))
        outProjection = try LinearLayer(attention, Names.outProjection, in: d, out: d)
        layerNorm = try LayerNormLayer(scope, Names.layerNorm, dim: d, eps: config.layerNormEps)
        mlp = try FeedForward(scope.scope(Names.mlp), hidden: d, intermediate: config.intermediateSize, activation: config.hiddenAct)
        heads = config.numAttentionHeads
    }

    /// (patches, D) -> (D)
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        let d = hidden.shape[1], tokens = hidden.shape[0]
        let query = queryProjection(probe)  // (1, D)
        let keyValue = keyValueProjection(hidden)  // (T, 2D): k then v in each row
        var context = Tensor(zeros: [1, d])
        var scores = [Float](repeating: 0, count: tokens)
        query.data.withUnsafeBufferPointer { q in
            keyValue.data.withUnsafeBufferPointer { kv in
                context.data.withUnsafeMutableBufferPointer { c in
                    scores.withUnsafeMutableBufferPointer { s in
                        MultiHeadAttention.attend(
                            q: q.baseAddress!, ldq: d, k: kv.baseAddress!, ldk: 2 * d, v: kv.baseAddress! + d, ldv: 2 * d,
                            queries: 1, keys: tokens, heads: heads, headDim: d / heads, causal: false,
                            scores: s.baseAddress!, context: c.baseAddress!, ldc: d)
                    }
                }
            }
        }
        var pooled = outProjection(context)  // (1, D)
        pooled.add(mlp(layerNorm(pooled)))
        return pooled.reshaped([d])
    }
}
