import LoomCheck
import CLoomKernels

// Scaled dot-product attention, as torch.nn.functional.scaled_dot_product_attention with
// enable_gqa=True (https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html)
// and the causal mask of a KV-cached decoder (llama.cpp / transformers with past_key_values).

extension Tensor {
    /// softmax(q k^T * scale + mask) v for every head.
    ///
    /// - q: (heads, Tq, d); k: (kvHeads, Tk, d); v: (kvHeads, Tk, dv) -> (heads, Tq, dv).
    /// - Grouped-query attention: `heads` is a multiple of `kvHeads`; query head h reads key/value
    ///   head h / (heads / kvHeads), as `repeat_interleave` in transformers' `repeat_kv`.
    /// - `causal`: query i attends keys j <= offset + i. With a KV cache holding `offset` earlier
    ///   positions, Tk = offset + Tq; `offset` = 0 is PyTorch's `is_causal=True` (top-left aligned).
    /// - `scale` defaults to 1 / sqrt(d).
    ///
    /// Stops the program when the shapes do not fit, Tk is 0 or `offset` is negative.
    public static func scaledDotProductAttention(
        query q: Tensor, key k: Tensor, value v: Tensor,
        causal: Bool = false, offset: Int = 0, scale: Float? = nil
    ) -> Tensor {
        require(q.rank == 3 && k.rank == 3 && v.rank == 3, "attention needs q (heads, Tq, d), k (kvHeads, Tk, d), v (kvHeads, Tk, dv); got \(q.shape), \(k.shape), \(v.shape)")
        let (heads, queries, dim) = (q.shape[0], q.shape[1], q.shape[2])
        let (kvHeads, keys) = (k.shape[0], k.shape[1])
        let valueDim = v.shape[2]
        require(k.shape[2] == dim, "attention key dimension \(k.shape[2]) differs from query dimension \(dim): q \(q.shape), k \(k.shape)")
        require(v.shape[0] == kvHeads && v.shape[1] == keys, "attention value \(v.shape) must match key heads and length of k \(k.shape)")
        require(kvHeads > 0 && heads % kvHeads == 0, "attention heads \(heads) must be a multiple of kv heads \(kvHeads)")
        require(keys > 0, "attention needs at least one key, got k \(k.shape)")
        require(offset >= 0, "attention causal offset must not be negative, got \(offset)")

        let scale = scale ?? 1 / Float(dim).squareRoot()
        let group = heads / kvHeads
        var out = Tensor(zeros: [heads, queries, valueDim])
        if queries == 0 || valueDim == 0 { return out }
        var scores = [Float](repeating: 0, count: queries * keys)  // (Tq, Tk), reused by every head
        q.data.withUnsafeBufferPointer { qp in
            k.data.withUnsafeBufferPointer { kp in
                v.data.withUnsafeBufferPointer { vp in
                    out.data.withUnsafeMutableBufferPointer { op in
                        scores.withUnsafeMutableBufferPointer { sp in
                            let s = sp.baseAddress!
                            for h in 0..<heads {
                                let kvh = h / group
                                let qh = qp.baseAddress! + h * queries * dim  // (Tq, d)
                                let kh = kp.baseAddress! + kvh * keys * dim  // (Tk, d)
                                let vh = vp.baseAddress! + kvh * keys * valueDim  // (Tk, dv)
                                let oh = op.baseAddress! + h * queries * valueDim  // (Tq, dv)
                                // (Tq, d) x (Tk, d)^T -> (Tq, Tk), times scale
                                if dim > 0 {
                                    BLAS.sgemm(
                                        transposeB: true, m: queries, n: keys, k: dim, alpha: scale,
                                        a: qh, lda: dim, b: kh, ldb: dim, c: s, ldc: keys)
                                } else {
                                    for i in 0..<(queries * keys) { s[i] = 0 }
                                }
                                if causal {
                                    maskedSoftmax(s, queries: queries, keys: keys, offset: offset)
                                } else {
                                    Kernels.softmax(s, rows: queries, dim: keys)
                                }
                                // (Tq, Tk) x (Tk, dv) -> (Tq, dv)
                                BLAS.sgemm(
                                    m: queries, n: valueDim, k: keys,
                                    a: s, lda: keys, b: vh, ldb: valueDim, c: oh, ldc: valueDim)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Softmax of row i over keys 0...offset+i, zero beyond (the masked weights of exp(-inf)).
    private static func maskedSoftmax(_ s: UnsafeMutablePointer<Float>, queries: Int, keys: Int, offset: Int) {
        ComputeThreads.forEachChunk(queries, minimumPerChunk: Kernels.rowsPerChunk(dim: keys)) { range in
            for i in range {
                let row = s + i * keys  // (Tk)
                let visible = min(keys, offset + i + 1)
                Kernels.softmaxRow(row, count: visible)
                for j in visible..<keys { row[j] = 0 }
            }
        }
    }
}

// Attention of a few queries over many fixed keys (a decoder's cross-attention over an encoder
// output): keys packed once into panels, then every step scores with a register-blocked C kernel
// (Sources/CLoomKernels/packed_keys_attention.c, AVX2/FMA when the CPU has them).
extension Kernels {
    /// Floats `packKeys` writes for `count` keys of `dim` features (count rounded up to panels of 16).
    public static func packedKeysCount(keys count: Int, dim: Int) -> Int {
        Int(loom_packed_keys_count(Int64(count), Int64(dim)))
    }

    /// Packs keys (count rows of dim features, row j at keys + j * rowStride) into `packed`
    /// (`packedKeysCount` floats) for `attendPackedKeys`.
    public static func packKeys(_ keys: UnsafePointer<Float>, rowStride: Int, count: Int, dim: Int,
                                into packed: UnsafeMutablePointer<Float>) {
        loom_pack_keys(keys, Int64(rowStride), Int64(count), Int64(dim), packed)
    }

    /// One head: out[i * outRowStride + f] = sum_j softmax_j(scale q_i . k_j) values[j * dim + f] for
    /// i < queries (q_i at query + i * queryRowStride), with `keys` packed by `packKeys` and values
    /// (count, dim) contiguous. `scores` is scratch for queries * packedKeysCount(keys: count, dim: 1) floats.
    public static func attendPackedKeys(
        query: UnsafePointer<Float>, queryRowStride: Int, queries: Int,
        packedKeys: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int, dim: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, outRowStride: Int
    ) {
        loom_attend_packed_keys(query, Int64(queryRowStride), Int64(queries), packedKeys, values, Int64(count),
                                Int64(dim), scale, scores, out, Int64(outRowStride))
    }
}
