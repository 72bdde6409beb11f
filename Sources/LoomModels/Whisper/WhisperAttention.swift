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
    /// - scores: scratch of at least heads x queries x keys floats.
    static func attend(
        query: WhisperHeadView, key: WhisperHeadView, value: WhisperHeadView,
        out: UnsafeMutablePointer<Float>, outRowStride: Int,
        heads: Int, headDim: Int, queries: Int, keys: Int, causalOffset: Int?,
        scores: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(headDim).squareRoot()
        if queries <= smallQueryLimit && keys <= smallKeyLimit {
            attendFewQueries(
                query: query, key: key, value: value, out: out, outRowStride: outRowStride, heads: heads,
                headDim: headDim, queries: queries, keys: keys, causalOffset: causalOffset, scale: scale, scores: scores)
            return
        }
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
                // The encoder's (1500, 1500) scores per head: rows split across threads, AVX2 exp.
                Kernels.softmax(scores, rows: queries, dim: keys)
            }
            // (Tq, Tk) x (Tk, d) -> (Tq, d) into head h's columns of out
            BLAS.sgemm(
                m: queries, n: headDim, k: keys,
                a: scores, lda: keys, b: value.base + h * value.headOffset, ldb: value.rowStride,
                c: out + h * headDim, ldc: outRowStride)
        }
    }

    /// Decoder steps (a few queries per sequence) go through `attendFewQueries`.
    static let smallQueryLimit = 8
    /// Above this many keys (cross-attention over 1500 encoder positions) per-head OpenBLAS products win.
    static let smallKeyLimit = 448

    /// The same attention for a few queries (one decoder step per beam): heads run in parallel on
    /// ComputeThreads with plain dot products, where per-head OpenBLAS calls of (1..8, keys, 64) cost
    /// more in call and thread hand-off than in arithmetic. Head h uses scores[h x queries x keys ...].
    private static func attendFewQueries(
        query: WhisperHeadView, key: WhisperHeadView, value: WhisperHeadView,
        out: UnsafeMutablePointer<Float>, outRowStride: Int,
        heads: Int, headDim: Int, queries: Int, keys: Int, causalOffset: Int?, scale: Float,
        scores: UnsafeMutablePointer<Float>
    ) {
        ComputeThreads.forEachChunk(heads, minimumPerChunk: max(1, 16_384 / max(1, queries * keys * headDim))) { range in
            for h in range {
                let s = scores + h * queries * keys
                let q = query.base + h * query.headOffset
                let k = key.base + h * key.headOffset, v = value.base + h * value.headOffset
                // Key-major: each key (and value) row is read once for all queries (cross-attention
                // K/V rows are 2 x width apart, so re-reading them per query would miss the cache).
                let visible = (0..<queries).map { i in causalOffset.map { min(keys, $0 + i + 1) } ?? keys }
                let longest = visible.max() ?? 0
                for j in 0..<longest {
                    let kj = k + j * key.rowStride
                    for i in 0..<queries where j < visible[i] {
                        s[i * keys + j] = dot(q + i * query.rowStride, kj, count: headDim) * scale
                    }
                }
                for i in 0..<queries {
                    Kernels.softmax(s + i * keys, rows: 1, dim: visible[i])
                    let o = out + i * outRowStride + h * headDim
                    for d in 0..<headDim { o[d] = 0 }
                }
                // out_i = sum_j p_ij v_j, in this head's columns.
                for j in 0..<longest {
                    let vj = v + j * value.rowStride
                    for i in 0..<queries where j < visible[i] {
                        axpy(s[i * keys + j], vj, out + i * outRowStride + h * headDim, count: headDim)
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    /// sum_d a[d] b[d] (4-lane partial sums, then the lanes, then the tail).
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD4<Float>(), acc1 = SIMD4<Float>()
        var d = 0
        while d + 8 <= count {
            acc0 += load4(a + d) * load4(b + d)
            acc1 += load4(a + d + 4) * load4(b + d + 4)
            d += 8
        }
        if d + 4 <= count {
            acc0 += load4(a + d) * load4(b + d)
            d += 4
        }
        var sum = (acc0 + acc1).sum()
        while d < count {
            sum += a[d] * b[d]
            d += 1
        }
        return sum
    }

    /// y += alpha x.
    @inline(__always)
    private static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var d = 0
        while d + 4 <= count {
            let sum = load4(UnsafePointer(y + d)) + alpha * load4(x + d)
            UnsafeMutableRawPointer(y + d).storeBytes(of: sum, as: SIMD4<Float>.self)
            d += 4
        }
        while d < count {
            y[d] += alpha * x[d]
            d += 1
        }
    }
}
