import LoomCheck
import CLoomMath

/// Matrix products through OpenBLAS `cblas_sgemm` (row-major, float32).
///
/// Shape mismatches stop the program with a message naming both shapes (see `requireShape`).
public enum BLAS {
    /// C(M, N) = alpha * op(A) op(B) + beta * C, all row-major with leading dimensions `lda`, `ldb`, `ldc`.
    ///
    /// op(A) is (M, K): A is stored (M, K), or (K, M) when `transposeA`. op(B) is (K, N): B is stored
    /// (K, N), or (N, K) when `transposeB` (PyTorch Linear weights, (out, in)).
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        ComputeThreads.applyDefaultIfNeeded()
        if k == 0 {  // BLAS may skip scaling C when K = 0; do it here so the result is defined
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        // OpenBLAS runs products above ~262K multiply-adds on its own threads (interface/gemm.c,
        // SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD): our spinning workers would take their cores.
        if m * n * k > 262_144 { ComputeThreads.parkWorkers() }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// Matrix product over the last two dimensions: `a` (..., M, K) x `b` (K, N) -> (..., M, N).
    ///
    /// A rank-2 `b` is shared by every matrix in `a` (the leading dimensions fold into M). A `b` of
    /// rank 3 or more is batched: (..., K, N) with the same leading dimensions as `a`.
    /// With `transposedB`, `b` is stored (..., N, K) and the product is `a` x `b`^T.
    /// Stops the program when the shapes do not fit.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposedB: Bool = false) -> Tensor {
        require(a.rank >= 2 && b.rank >= 2, "matmul needs rank >= 2 operands, got \(a.shape) x \(b.shape)")
        let k = a.shape[a.rank - 1]
        let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
        let (bK, n) = transposedB ? (bCols, bRows) : (bRows, bCols)
        let transposeNote = transposedB ? " (b transposed)" : ""
        require(bK == k, "matmul inner dimensions differ: \(a.shape) x \(b.shape)\(transposeNote)")
        var outShape = a.shape
        outShape[outShape.count - 1] = n

        if b.rank == 2 {
            // (..., M, K) x (K, N): fold the leading dimensions into M, one GEMM.
            let m = a.count / max(k, 1)
            var out = Tensor(zeros: outShape)
            if k == 0 { return out }
            a.data.withUnsafeBufferPointer { ap in
                b.data.withUnsafeBufferPointer { bp in
                    out.data.withUnsafeMutableBufferPointer { cp in
                        BLAS.sgemm(
                            transposeB: transposedB, m: m, n: n, k: k,
                            a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: bCols,
                            c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            return out
        }

        // Batched: (..., M, K) x (..., K, N) with equal leading dimensions, one GEMM per matrix.
        require(
            a.shape.dropLast(2) == b.shape.dropLast(2),
            "batched matmul needs equal leading dimensions: \(a.shape) x \(b.shape)")
        let m = a.shape[a.rank - 2]
        let batches = a.shape.dropLast(2).reduce(1, *)
        var out = Tensor(zeros: outShape)
        if k == 0 || m == 0 || n == 0 { return out }
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                out.data.withUnsafeMutableBufferPointer { cp in
                    for batch in 0..<batches {
                        BLAS.sgemm(
                            transposeB: transposedB, m: m, n: n, k: k,
                            a: ap.baseAddress! + batch * m * k, lda: k,
                            b: bp.baseAddress! + batch * k * n, ldb: bCols,
                            c: cp.baseAddress! + batch * m * n, ldc: n)
                    }
                }
            }
        }
        return out
    }

    /// PyTorch `nn.Linear`: `x` (..., in) x `weight` (out, in)^T + `bias` (out) -> (..., out).
    ///
    /// Stops the program when `weight` is not (out, in) or `bias` is not (out).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        require(x.rank >= 1, "linear needs an input of rank >= 1, got \(x.shape)")
        require(weight.rank == 2, "linear weight must be (out, in), got \(weight.shape)")
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        require(
            x.lastDimension == inFeatures,
            "linear input \(x.shape) does not end in the weight's in-features \(inFeatures) (weight \(weight.shape))")
        if let bias {
            require(
                bias.shape == [outFeatures], "linear bias must be [\(outFeatures)] for weight \(weight.shape), got \(bias.shape)")
        }
        let rows = x.rowCount
        var outShape = x.shape
        outShape[outShape.count - 1] = outFeatures
        var out = Tensor(zeros: outShape)
        if rows == 0 || outFeatures == 0 { return out }
        out.data.withUnsafeMutableBufferPointer { yp in
            let y = yp.baseAddress!
            // (rows, out): start from the bias in every row, then accumulate with beta = 1.
            if let bias {
                bias.data.withUnsafeBufferPointer { bp in
                    for r in 0..<rows {
                        let yRow = y + r * outFeatures
                        for o in 0..<outFeatures { yRow[o] = bp[o] }
                    }
                }
            }
            if inFeatures == 0 { return }
            x.data.withUnsafeBufferPointer { xp in
                weight.data.withUnsafeBufferPointer { wp in
                    // (rows, in) x (out, in)^T -> (rows, out)
                    BLAS.sgemm(
                        transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                        a: xp.baseAddress!, lda: inFeatures, b: wp.baseAddress!, ldb: inFeatures,
                        beta: bias == nil ? 0 : 1, c: y, ldc: outFeatures)
                }
            }
        }
        return out
    }
}
