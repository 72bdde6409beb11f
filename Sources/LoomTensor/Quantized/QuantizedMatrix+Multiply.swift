import LoomCheck
import CLoomKernels
import Foundation

// Matrix products with a `QuantizedMatrix` W (rows, cols), PyTorch Linear layout (out, in):
// one vector (decode: y = W x, rows split across threads, blocks read directly) and a batch of
// vectors (prompt: Y = X W^T). Q8_0/Q4_0/Q4_1 weights with `.int8` activations go through the
// integer kernels (activations quantized to 8-bit blocks once per product, llama.cpp's scheme);
// `.float32` activations keep exact float math: block kernels for one vector, tiles of W
// dequantized to float32 scratch and one sgemm per tile for a batch.

/// How activations meet Q8_0/Q4_0/Q4_1 weights in products (other formats always use float32).
public enum ActivationPrecision: Sendable {
    /// Activations quantized per 32-element block to int8 with a float scale (d = max|x| / 127),
    /// then integer dot products: llama.cpp's CPU path. Relative error of a product vs float math
    /// is about 1/254 of max|x| per block times sum |w| (rounding of each activation), in
    /// practice ~1e-3 relative.
    case int8
    /// Exact float32 products with the dequantized weights (up to summation order).
    case float32
}

extension QuantizedFormat {
    /// Q8_0, Q4_0 and Q4_1 have integer kernels (`ActivationPrecision.int8`).
    var hasIntegerKernel: Bool { self == .q8_0 || self == .q4_0 || self == .q4_1 }

    /// The format's code in CLoomKernels (only for Q8_0, Q4_0, Q4_1).
    var kernelCode: Int32 {
        switch self {
        case .q8_0: Int32(LOOM_Q8_0)
        case .q4_0: Int32(LOOM_Q4_0)
        default: Int32(LOOM_Q4_1)
        }
    }
}

extension QuantizedMatrix {
    /// Rows per tile in `multiply(batch:)`: a tile of 1536 columns is 384 KB of float32 scratch,
    /// small enough to stay in cache between dequantization and the product.
    public static let tileRows = 64

    /// y[r] = sum_j W[r, j] * x[j] for every row r; `x` holds `cols` floats, `y` holds `rows`.
    /// Rows are split across `ComputeThreads`; each row is summed by one thread in a fixed order,
    /// so the result does not depend on the thread count. With `.int8` activations (the default)
    /// Q8_0/Q4_0/Q4_1 products use the integer kernels of `CLoomKernels`, as llama.cpp does.
    public func multiply(vector x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                         activations: ActivationPrecision = .int8) {
        let format = format, cols = cols, base = base, rowBytes = rowBytes, rows = rows
        let minimum = max(1, 8192 / max(cols, 1))
        if activations == .int8 && format.hasIntegerKernel {
            let code = format.kernelCode, blocks = cols / 32
            withUnsafeTemporaryAllocation(of: loom_block_q8.self, capacity: max(blocks, 1)) { quantized in
                let xq = quantized.baseAddress!
                loom_quantize_row_q8(x, xq, Int64(cols))
                ComputeThreads.forEachChunk(rows, minimumPerChunk: minimum) { range in
                    loom_dot_rows_batch(code, base + range.lowerBound * rowBytes, Int64(rowBytes), Int64(range.count),
                                        xq, Int64(blocks), 1, y + range.lowerBound, 0)
                }
            }
            return
        }
        switch format {
        case .q8_0, .q4_0, .q4_1:
            // The activations in the lane order of the block kernels, on the stack (no heap).
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(cols, 1)) { permuted in
                let xp = permuted.baseAddress!
                QuantizedVectorDot.permute(x, cols: cols, into: xp)
                let blocks = cols / 32
                ComputeThreads.forEachChunk(rows, minimumPerChunk: minimum) { range in
                    for r in range {
                        let row = base + r * rowBytes
                        switch format {
                        case .q8_0: y[r] = QuantizedVectorDot.q8_0(row, xp, blocks: blocks)
                        case .q4_0: y[r] = QuantizedVectorDot.q4_0(row, xp, blocks: blocks)
                        default: y[r] = QuantizedVectorDot.q4_1(row, xp, blocks: blocks)
                        }
                    }
                }
            }
        case .f32, .f16, .bf16:
            ComputeThreads.forEachChunk(rows, minimumPerChunk: minimum) { range in
                for r in range {
                    y[r] = QuantizedBlocks.dot(format, base + r * rowBytes, x, cols: cols)
                }
            }
        }
    }

    /// Y (count, rows) = X (count, cols) W^T. With one vector this is `multiply(vector:into:)`.
    /// Q8_0/Q4_0/Q4_1 with `.int8` activations: every activation row quantized once, then each
    /// thread runs its share of weight rows over all activation rows (integer kernels).
    /// Otherwise tiles of rows are dequantized (exactly as ggml does) into `scratch` and multiplied
    /// with `BLAS.sgemm`. `scratch` must hold `scratchCount` floats.
    public func multiply(batch x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, activations: ActivationPrecision = .int8) {
        if count == 1 {
            multiply(vector: x, into: y, activations: activations)
            return
        }
        if activations == .int8 && format.hasIntegerKernel {
            multiplyInteger(batch: x, count: count, into: y)
            return
        }
        if format == .f32 {  // already floats: one product straight from the weights
            BLAS.sgemm(transposeB: true, m: count, n: rows, k: cols, a: x, lda: cols,
                       b: base.assumingMemoryBound(to: Float.self), ldb: cols, c: y, ldc: rows)
            return
        }
        var start = 0
        while start < rows {
            let n = min(Self.tileRows, rows - start)
            let tileStart = start
            ComputeThreads.forEachChunk(n, minimumPerChunk: max(1, 8192 / max(cols, 1))) { range in
                for r in range { dequantizeRow(tileStart + r, into: scratch + r * cols) }
            }
            BLAS.sgemm(transposeB: true, m: count, n: n, k: cols, a: x, lda: cols,
                       b: scratch, ldb: cols, c: y + start, ldc: rows)
            start += n
        }
    }

    /// The integer path of `multiply(batch:)`: quantized activations in a temporary buffer
    /// (count * cols * 1.25 bytes), weight rows split across threads.
    private func multiplyInteger(batch x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
        let code = format.kernelCode, cols = cols, rows = rows, base = base, rowBytes = rowBytes
        let blocks = cols / 32
        withUnsafeTemporaryAllocation(of: loom_block_q8.self, capacity: max(1, count * blocks)) { quantized in
            let xq = quantized.baseAddress!
            ComputeThreads.forEachChunk(count, minimumPerChunk: 16) { range in
                for t in range { loom_quantize_row_q8(x + t * cols, xq + t * blocks, Int64(cols)) }
            }
            ComputeThreads.forEachChunk(rows, minimumPerChunk: 16) { range in
                loom_dot_rows_batch(code, base + range.lowerBound * rowBytes, Int64(rowBytes), Int64(range.count),
                                    xq, Int64(blocks), Int64(count), y + range.lowerBound, Int64(rows))
            }
        }
    }

    /// Floats of scratch `multiply(batch:)` needs.
    public var scratchCount: Int { Self.tileRows * cols }

    /// `multiply(batch:)` on tensors: x (count, cols) -> (count, rows). Allocates; for tests and
    /// one-off use. Stops the program when x is not (count, cols).
    public func multiply(_ x: Tensor, activations: ActivationPrecision = .int8) -> Tensor {
        require(x.rank == 2 && x.shape[1] == cols, "QuantizedMatrix (\(rows), \(cols)) needs x (count, \(cols)), got \(x.shape)")
        let count = x.shape[0]
        var out = Tensor(zeros: [count, rows])
        guard count > 0, rows > 0 else { return out }
        var scratch = [Float](repeating: 0, count: max(1, scratchCount))
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                scratch.withUnsafeMutableBufferPointer { sp in
                    multiply(batch: xp.baseAddress!, count: count, into: op.baseAddress!, scratch: sp.baseAddress!,
                             activations: activations)
                }
            }
        }
        return out
    }
}
