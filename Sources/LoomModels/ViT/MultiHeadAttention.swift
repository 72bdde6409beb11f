import CLoomKernels
import LoomTensor
import LoomWeights

// Multi-head scaled dot-product attention over row-major activations, as transformers'
// eager_attention_forward (models/clip/modeling_clip.py) and torch.nn.MultiheadAttention.
// Heads are read in place from the projected rows (strided GEMMs), so no (heads, T, d) copies are made.

enum MultiHeadAttention {
    /// context[i, h*d..<(h+1)*d] = softmax(q_h[i] k_h^T * scale) v_h, for every head h.
    ///
    /// - q: `queries` rows spaced `ldq` floats; head h at columns h*d. k, v: `keys` rows spaced `ldk`, `ldv`.
    /// - causal: query i sees keys 0...i (CLIP's text tower).
    /// - scores: scratch of `queries * keys` floats; context: `queries` rows spaced `ldc`.
    static func attend(
        q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, ldk: Int, v: UnsafePointer<Float>, ldv: Int,
        queries: Int, keys: Int, heads: Int, headDim: Int, causal: Bool,
        scores: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let scale = 1 / Float(headDim).squareRoot()
        for h in 0..<heads {
            let column = h * headDim
            // (Tq, d) x (Tk, d)^T -> (Tq, Tk), times scale
            BLAS.sgemm(
                transposeB: true, m: queries, n: keys, k: headDim, alpha: scale,
                a: q + column, lda: ldq, b: k + column, ldb: ldk, c: scores, ldc: keys)
            if causal {
                // The additive -inf mask of create_causal_mask: exp(-inf) = 0 after the softmax.
                for i in 0..<queries where i + 1 < keys {
                    for j in (i + 1)..<keys { scores[i * keys + j] = -.infinity }
                }
            }
            Kernels.softmax(scores, rows: queries, dim: keys)
            // (Tq, Tk) x (Tk, d) -> (Tq, d), written into this head's columns
            BLAS.sgemm(
                m: queries, n: headDim, k: keys,
                a: scores, lda: keys, b: v + column, ldb: ldv, c: context + column, ldc: ldc)
        }
    }
}

/// CLIPAttention / SiglipAttention: q, k, v projections fused into one (3D, D) GEMM, attention, out_proj.
public struct SelfAttention: Sendable {
    /// Rows 0..<D are q_proj, then k_proj, then v_proj (the layout of MultiheadAttention.in_proj_weight).
    public let qkv: LinearLayer
    public let outProj: LinearLayer
    public let heads: Int

    /// Reads `q_proj`, `k_proj`, `v_proj`, `out_proj` (weights and biases) under `scope`.
    public init(_ scope: WeightScope, hidden: Int, heads: Int) throws {
        var weights: [Float] = [], biases: [Float] = []
        weights.reserveCapacity(3 * hidden * hidden)
        typealias Names = ViTWeightNames.Encoder
        for name in [Names.query, Names.key, Names.value] {
            weights += try scope.tensor(name + ".weight", shape: [hidden, hidden]).data
            biases += try scope.tensor(name + ".bias", shape: [hidden]).data
        }
        qkv = LinearLayer(weight: Tensor(shape: [3 * hidden, hidden], data: weights), bias: Tensor(shape: [3 * hidden], data: biases))
        outProj = try LinearLayer(scope, Names.output, in: hidden, out: hidden)
        self.heads = heads
    }

    /// (B*T, D) -> (B*T, D): `x` holds B sequences of `sequenceLength` rows each (default: one
    /// sequence). The projections run once over all rows; attention stays within each sequence.
    public func callAsFunction(_ x: Tensor, causal: Bool, sequenceLength: Int? = nil) -> Tensor {
        let rows = x.shape[0], hidden = x.shape[1]
        let tokens = sequenceLength ?? rows
        if tokens <= 0 || rows % tokens != 0 {
            fatalError("LoomModels: \(rows) rows are not whole sequences of \(tokens)")
        }
        let projected = qkv(x)  // (B*T, 3D)
        var context = Tensor(zeros: [rows, hidden])
        if !causal {
            // Vision towers: every (sequence, head) pair in one parallel region of the C kernel, instead
            // of two OpenBLAS calls and a softmax region per head (each a thread hand-off).
            bidirectional(projected, sequences: rows / tokens, tokens: tokens, into: &context)
            return outProj(context)
        }
        var scores = [Float](repeating: 0, count: tokens * tokens)
        projected.data.withUnsafeBufferPointer { p in
            context.data.withUnsafeMutableBufferPointer { c in
                scores.withUnsafeMutableBufferPointer { s in
                    for start in stride(from: 0, to: rows, by: tokens) {
                        let base = p.baseAddress! + start * 3 * hidden
                        MultiHeadAttention.attend(
                            q: base, ldq: 3 * hidden, k: base + hidden, ldk: 3 * hidden, v: base + 2 * hidden, ldv: 3 * hidden,
                            queries: tokens, keys: tokens, heads: heads, headDim: hidden / heads, causal: causal,
                            scores: s.baseAddress!, context: c.baseAddress! + start * hidden, ldc: hidden)
                    }
                }
            }
        }
        return outProj(context)
    }

    /// Bidirectional attention of `sequences` x `heads` pairs, split evenly across threads; each pair
    /// writes its own block of `context`, so the thread count does not change the result.
    private func bidirectional(_ projected: Tensor, sequences: Int, tokens: Int, into context: inout Tensor) {
        let hidden = projected.shape[1] / 3, headDim = hidden / heads
        let scale = 1 / Float(headDim).squareRoot()
        let scratchCount = Int(loom_encoder_attention_scratch(Int64(tokens), Int64(headDim)))
        projected.data.withUnsafeBufferPointer { p in
            context.data.withUnsafeMutableBufferPointer { c in
                let (qkv, out) = (p.baseAddress!, c.baseAddress!)
                ComputeThreads.forEachChunk(sequences * heads, minimumPerChunk: 1) { pairs in
                    var scratch = [Float](repeating: 0, count: scratchCount)
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        for pair in pairs {
                            let (sequence, head) = (pair / heads, pair % heads)
                            let q = qkv + sequence * tokens * 3 * hidden + head * headDim
                            loom_encoder_attention(
                                q, q + hidden, q + 2 * hidden, Int64(3 * hidden), nil, nil, nil,
                                Int64(tokens), Int64(headDim), scale, scratch.baseAddress!,
                                out + sequence * tokens * hidden + head * headDim, Int64(hidden))
                        }
                    }
                }
            }
        }
    }
}
