import LoomTensor

// Multi-head attention over strided views, so neither the fused QKV projection nor the KV cache is
// copied into per-head tensors: a head's (rows, headDim) matrix is read in place with a row stride
// (e.g. 3 x width inside a fused QKV row) and a head offset. The arithmetic is openai-whisper's
// `qkv_attention` (whisper/model.py): softmax(q k^T / sqrt(headDim) + causal mask) v; openai scales q
// and k by headDim^-1/4 each, here the product is scaled once.

/// Head h's row r starts at `base + h * headOffset + r * rowStride`.
struct WhisperHeadView {
    let base: UnsafePointer<Float>
    let rowStride: Int
    let headOffset: Int
}

enum WhisperAttention {
    /// Writes (queries, heads x headDim) into `out` (row stride `outRowStride`, head h at column h x headDim).
    ///
    /// - causalOffset: nil for no mask; otherwise query i sees keys 0...causalOffset + i (a KV cache
    ///   holding `causalOffset` earlier positions).
    /// - scores: scratch of at least queries x keys floats.
    static func attend(
        query: WhisperHeadView, key: WhisperHeadView, value: WhisperHeadView,
        out: UnsafeMutablePointer<Float>, outRowStride: Int,
        heads: Int, headDim: Int, queries: Int, keys: Int, causalOffset: Int?,
        scores: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(headDim).squareRoot()
        for h in 0..<heads {
            // (Tq, d) x (Tk, d)^T -> (Tq, Tk), times scale
            BLAS.sgemm(
                transposeB: true, m: queries, n: keys, k: headDim, alpha: scale,
                a: query.base + h * query.headOffset, lda: query.rowStride,
                b: key.base + h * key.headOffset, ldb: key.rowStride, c: scores, ldc: keys)
            if let offset = causalOffset {
                for i in 0..<queries {
                    let row = scores + i * keys
                    let visible = min(keys, offset + i + 1)
                    Kernels.softmax(row, rows: 1, dim: visible)
                    for j in visible..<keys { row[j] = 0 }
                }
            } else {
                Kernels.softmax(scores, rows: queries, dim: keys)
            }
            // (Tq, Tk) x (Tk, d) -> (Tq, d) into head h's columns of out
            BLAS.sgemm(
                m: queries, n: headDim, k: keys,
                a: scores, lda: keys, b: value.base + h * value.headOffset, ldb: value.rowStride,
                c: out + h * headDim, ldc: outRowStride)
        }
    }
}
