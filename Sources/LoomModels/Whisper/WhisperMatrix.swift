import LoomCheck
import LoomTensor

// A (rows, columns) weight matrix kept as the file stores it: float32, or IEEE half bits for the
// decoder weights of a float16 CTranslate2 model. A beam step streams every decoder weight (and the
// 51865 x 512 vocabulary projection) once per token; reading halves halves those bytes, and the
// products are unchanged: each half widens to float32 exactly (as the loader did before) and the
// arithmetic stays float32 (Kernels.smallRowProduct(halfWeight:), Sources/CLoomKernels/few_rows.c).

/// Row-major IEEE half bits, (rows, columns).
struct WhisperHalfRows: Sendable {
    let rows: Int
    let columns: Int
    let bits: [UInt16]
}

enum WhisperMatrix: Sendable {
    case float32(Tensor)
    case float16(WhisperHalfRows)

    /// Output features (rows of the weight).
    var rows: Int {
        switch self {
        case .float32(let t): t.shape[0]
        case .float16(let h): h.rows
        }
    }

    /// Input features (columns of the weight).
    var columns: Int {
        switch self {
        case .float32(let t): t.shape.dropFirst().reduce(1, *)
        case .float16(let h): h.columns
        }
    }

    /// The matrix as float32 (a converted copy for halves; for paths that need a Tensor, not for steps).
    var float32: Tensor {
        switch self {
        case .float32(let t):
            return t
        case .float16(let h):
            var out = Tensor(zeros: [h.rows, h.columns])
            h.bits.withUnsafeBufferPointer { src in
                out.data.withUnsafeMutableBufferPointer { Kernels.halfToFloat(src.baseAddress!, into: $0.baseAddress!, count: src.count) }
            }
            return out
        }
    }

    /// Row `index` as float32 into `out` (columns floats): an embedding lookup.
    func copyRow(_ index: Int, into out: UnsafeMutablePointer<Float>) {
        let n = columns
        switch self {
        case .float32(let t):
            t.data.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + index * n, count: n) }
        case .float16(let h):
            h.bits.withUnsafeBufferPointer { Kernels.halfToFloat($0.baseAddress! + index * n, into: out, count: n) }
        }
    }

    /// x (..., columns) times this^T (+ bias): (..., rows). Up to `Kernels.smallRowProductMaximumRows`
    /// rows of x (decoder steps) stream the weight once through `smallRowProduct`; more rows (a prompt,
    /// a window's cross-attention keys) use OpenBLAS, halves widened a tile of outputs at a time.
    func product(_ x: Tensor, bias: Tensor?) -> Tensor {
        switch self {
        case .float32(let t): Tensor.fewRowLinear(x, weight: t, bias: bias)
        case .float16(let h): Self.product(x, half: h, bias: bias)
        }
    }

    private static func product(_ x: Tensor, half h: WhisperHalfRows, bias: Tensor?) -> Tensor {
        require(x.rank >= 1 && x.lastDimension == h.columns && (bias == nil || bias!.shape == [h.rows]),
                     "Whisper linear: input \(x.shape) against weight (\(h.rows), \(h.columns)), bias \(bias?.shape ?? [])")
        let rows = x.rowCount, n = h.rows, k = h.columns
        var outShape = x.shape
        outShape[outShape.count - 1] = n
        var out = Tensor(zeros: outShape)
        guard rows > 0, n > 0 else { return out }
        x.data.withUnsafeBufferPointer { xp in
            h.bits.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { yp in
                    let xs = xp.baseAddress!, ws = wp.baseAddress!, ys = yp.baseAddress!
                    if rows <= Kernels.smallRowProductMaximumRows {
                        bias.withFloats { bp in
                            Kernels.smallRowProduct(xs, ldx: k, rows: rows, halfWeight: ws, ldw: k, n: n, k: k,
                                                    bias: bp, into: ys, ldy: n)
                        }
                    } else {
                        widenedProduct(xs, rows: rows, weight: ws, n: n, k: k, into: ys)
                        bias.withFloats { bp in
                            guard let bp else { return }
                            for r in 0..<rows { for o in 0..<n { ys[r * n + o] += bp[o] } }
                        }
                    }
                }
            }
        }
        return out
    }

    /// y (rows, n) = x (rows, k) w^T for half w (n, k): tiles of outputs widened to float32 (at most
    /// ~4 MB at a time, so a 51865-row projection never exists as float32), each one OpenBLAS GEMM.
    private static func widenedProduct(
        _ x: UnsafePointer<Float>, rows: Int, weight w: UnsafePointer<UInt16>, n: Int, k: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        let tileRows = min(n, max(1, (1 << 20) / max(1, k)))
        var tile = [Float](repeating: 0, count: tileRows * k)
        tile.withUnsafeMutableBufferPointer { tp in
            var o0 = 0
            while o0 < n {
                let count = min(tileRows, n - o0)
                Kernels.halfToFloat(w + o0 * k, into: tp.baseAddress!, count: count * k)
                BLAS.sgemm(transposeB: true, m: rows, n: count, k: k, a: x, lda: k,
                           b: tp.baseAddress!, ldb: k, c: y + o0, ldc: n)
                o0 += count
            }
        }
    }
}

private extension Optional where Wrapped == Tensor {
    func withFloats<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let tensor = self else { return body(nil) }
        return tensor.data.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
