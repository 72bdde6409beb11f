import CLoomKernels

// y = x W^T (+ bias) for a few rows of x against a large row-major W (out, in): the shape of a
// decoder step (one row per beam) against a Linear weight or a vocabulary projection.
//
// OpenBLAS packs W into its own panel layout on every call; with a handful of rows that copy costs as
// much as the product itself, and its thread hand-off dominates the small per-layer products. Here
// every output feature is a dot product of its contiguous W row with each x row, so W streams through
// once, in order, split by output features across ComputeThreads. The arithmetic is the C kernel
// `loom_few_rows_f32` / `_f16` (Sources/CLoomKernels/few_rows.c: AVX2/FMA/F16C when the CPU has
// them, portable C otherwise); each result sums in a fixed order whatever the thread count.

extension Kernels {
    /// Rows of x up to which `smallRowProduct` beats OpenBLAS (measured on Zen 3 with whisper-base
    /// shapes: 5 rows x (51865, 512) and the (1536 | 2048 | 512, 512 | 2048) layer weights).
    public static let smallRowProductMaximumRows = 8

    /// y[r, o] = sum_i x[r, i] w[o, i] (+ bias[o]), for x (rows, k) spaced `ldx`, w (n, k) spaced `ldw`,
    /// y (rows, n) spaced `ldy`. Outputs split across threads; no allocation.
    public static func smallRowProduct(
        _ x: UnsafePointer<Float>, ldx: Int, rows: Int,
        weight w: UnsafePointer<Float>, ldw: Int, n: Int, k: Int,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, ldy: Int
    ) {
        guard rows > 0, n > 0 else { return }
        forEachOutputChunk(n: n, k: k, rows: rows) { outputs in
            loom_few_rows_f32(x, Int64(ldx), Int64(rows), w, Int64(ldw), Int64(k),
                              Int64(outputs.lowerBound), Int64(outputs.upperBound), bias, y, Int64(ldy))
        }
    }

    /// `smallRowProduct` with IEEE half weights (raw bits, e.g. a float16 checkpoint kept as stored):
    /// each weight widens to float32 exactly and products and sums are float32, so this equals
    /// `smallRowProduct` on the widened weights up to summation order, reading half the bytes.
    public static func smallRowProduct(
        _ x: UnsafePointer<Float>, ldx: Int, rows: Int,
        halfWeight w: UnsafePointer<UInt16>, ldw: Int, n: Int, k: Int,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, ldy: Int
    ) {
        guard rows > 0, n > 0 else { return }
        forEachOutputChunk(n: n, k: k, rows: rows) { outputs in
            loom_few_rows_f16(x, Int64(ldx), Int64(rows), w, Int64(ldw), Int64(k),
                              Int64(outputs.lowerBound), Int64(outputs.upperBound), bias, y, Int64(ldy))
        }
    }

    /// `count` IEEE halves (raw bits) to float32, exactly.
    public static func halfToFloat(_ h: UnsafePointer<UInt16>, into out: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        loom_f16_to_f32(h, out, Int64(count))
    }

    /// Splits n outputs into per-thread ranges: a chunk is worth a thread from ~32K multiply-adds.
    @inline(__always)
    private static func forEachOutputChunk(n: Int, k: Int, rows: Int, _ body: (Range<Int>) -> Void) {
        let perChunk = max(16, (1 << 15) / max(1, k * rows))
        ComputeThreads.forEachChunk(n, minimumPerChunk: perChunk, body)
    }
}

extension Tensor {
    /// `linear` (x (..., in) x weight (out, in)^T + bias) for decoder steps: with at most
    /// `Kernels.smallRowProductMaximumRows` rows the weight streams once through `smallRowProduct`,
    /// otherwise this is `linear`. Opt-in rather than inside `linear`, so other models keep OpenBLAS's
    /// summation order (e.g. BERT's check that a sequence alone equals it inside a packed batch).
    public static func fewRowLinear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        let rows = x.rowCount
        guard rows <= Kernels.smallRowProductMaximumRows, rows > 0, x.rank >= 1, weight.rank == 2,
              x.lastDimension == weight.shape[1], weight.shape[1] > 0, bias == nil || bias!.shape == [weight.shape[0]]
        else { return linear(x, weight: weight, bias: bias) }  // shapes checked (and reported) there
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        var outShape = x.shape
        outShape[outShape.count - 1] = outFeatures
        var out = Tensor(zeros: outShape)
        x.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { yp in
                    withOptionalPointer(bias) { bp in
                        Kernels.smallRowProduct(
                            xp.baseAddress!, ldx: inFeatures, rows: rows, weight: wp.baseAddress!, ldw: inFeatures,
                            n: outFeatures, k: inFeatures, bias: bp, into: yp.baseAddress!, ldy: outFeatures)
                    }
                }
            }
        }
        return out
    }
}
