import Foundation

// Matrix products with a `QuantizedMatrix` W (rows, cols), PyTorch Linear layout (out, in):
// one vector (decode: y = W x, rows split across threads, blocks read directly) and a batch of
// vectors (prompt: Y = X W^T, tiles of W dequantized to float32 scratch, then one sgemm per tile).

extension QuantizedMatrix {
    /// Rows per tile in `multiply(batch:)`: a tile of 1536 columns is 384 KB of float32 scratch,
    /// small enough to stay in cache between dequantization and the product.
    public static let tileRows = 64

    /// y[r] = sum_j W[r, j] * x[j] for every row r; `x` holds `cols` floats, `y` holds `rows`.
    /// Rows are split across `ComputeThreads`; each row is summed by one thread in a fixed order,
    /// so the result does not depend on the thread count.
    public func multiply(vector x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let format = format, cols = cols, base = base, rowBytes = rowBytes
        let minimum = max(1, 8192 / max(cols, 1))
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

    /// Y (count, rows) = X (count, cols) W^T. With one vector this is `multiply(vector:into:)`;
    /// otherwise tiles of rows are dequantized (exactly as ggml does) into `scratch` and multiplied
    /// with `BLAS.sgemm`. `scratch` must hold `scratchCount` floats.
    public func multiply(batch x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>) {
        if count == 1 {
            multiply(vector: x, into: y)
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

    /// Floats of scratch `multiply(batch:)` needs.
    public var scratchCount: Int { Self.tileRows * cols }

    /// `multiply(batch:)` on tensors: x (count, cols) -> (count, rows). Allocates; for tests and
    /// one-off use. Stops the program when x is not (count, cols).
    public func multiply(_ x: Tensor) -> Tensor {
        requireShape(x.rank == 2 && x.shape[1] == cols, "QuantizedMatrix (\(rows), \(cols)) needs x (count, \(cols)), got \(x.shape)")
        let count = x.shape[0]
        var out = Tensor(zeros: [count, rows])
        guard count > 0, rows > 0 else { return out }
        var scratch = [Float](repeating: 0, count: max(1, scratchCount))
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                scratch.withUnsafeMutableBufferPointer { sp in
                    multiply(batch: xp.baseAddress!, count: count, into: op.baseAddress!, scratch: sp.baseAddress!)
                }
            }
        }
        return out
    }
}
