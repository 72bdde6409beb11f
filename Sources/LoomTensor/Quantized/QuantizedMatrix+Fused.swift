import CLoomKernels

// One-vector products of several matrices that read the same input (a layer's q/k/v projections,
// its gate/up projections), for decoding: the input is quantized to 8-bit blocks once and the
// rows of all matrices are split across threads in one parallel region, so a layer hands work to
// the threads 4 times instead of 7. No heap allocation.

extension QuantizedMatrix {
    /// ya = a x, yb = b x, yc = c x (c optional) for matrices with the same column count. Falls
    /// back to one `multiply(vector:)` each when a matrix has no integer kernel or `activations`
    /// is `.float32`.
    public static func multiply(vector x: UnsafePointer<Float>, activations: ActivationPrecision,
                                _ a: QuantizedMatrix, into ya: UnsafeMutablePointer<Float>,
                                _ b: QuantizedMatrix, into yb: UnsafeMutablePointer<Float>,
                                _ c: QuantizedMatrix? = nil, into yc: UnsafeMutablePointer<Float>? = nil) {
        let cols = a.cols
        let fused = activations == .int8 && a.format.hasIntegerKernel && b.format.hasIntegerKernel && b.cols == cols
            && (c.map { $0.format.hasIntegerKernel && $0.cols == cols } ?? true) && (c == nil) == (yc == nil)
        guard fused else {
            a.multiply(vector: x, into: ya, activations: activations)
            b.multiply(vector: x, into: yb, activations: activations)
            if let c, let yc { c.multiply(vector: x, into: yc, activations: activations) }
            return
        }
        let (rowsA, rowsB) = (a.rows, b.rows)
        let total = rowsA + rowsB + (c?.rows ?? 0)
        withUnsafeTemporaryAllocation(of: loom_block_q8.self, capacity: max(cols / 32, 1)) { quantized in
            let xq = quantized.baseAddress!
            loom_quantize_row_q8(x, xq, Int64(cols))
            // The rows of a, b, c laid end to end; each thread takes a contiguous share.
            ComputeThreads.forEachChunk(total, minimumPerChunk: max(1, 8192 / max(cols, 1))) { range in
                a.integerRows(range.clamped(to: 0..<rowsA), xq, into: ya)
                b.integerRows(shift(range, by: rowsA).clamped(to: 0..<rowsB), xq, into: yb)
                if let c, let yc { c.integerRows(shift(range, by: rowsA + rowsB).clamped(to: 0..<c.rows), xq, into: yc) }
            }
        }
    }

    /// gate = SiLU(gate_matrix x) * (up_matrix x) for two matrices of equal shape: each thread
    /// computes its rows of both and applies SwiGLU to them while they are in cache.
    public static func multiplySwiGLU(vector x: UnsafePointer<Float>, activations: ActivationPrecision,
                                      gate: QuantizedMatrix, into yg: UnsafeMutablePointer<Float>,
                                      up: QuantizedMatrix, into yu: UnsafeMutablePointer<Float>) {
        let cols = gate.cols, rows = gate.rows
        guard activations == .int8, gate.format.hasIntegerKernel, up.format.hasIntegerKernel,
              up.cols == cols, up.rows == rows else {
            gate.multiply(vector: x, into: yg, activations: activations)
            up.multiply(vector: x, into: yu, activations: activations)
            FastKernels.swiglu(gate: yg, up: yu, count: gate.rows)
            return
        }
        withUnsafeTemporaryAllocation(of: loom_block_q8.self, capacity: max(cols / 32, 1)) { quantized in
            let xq = quantized.baseAddress!
            loom_quantize_row_q8(x, xq, Int64(cols))
            ComputeThreads.forEachChunk(rows, minimumPerChunk: max(1, 8192 / max(cols, 1))) { range in
                gate.integerRows(range, xq, into: yg)
                up.integerRows(range, xq, into: yu)
                FastKernels.swiglu(gate: yg + range.lowerBound, up: yu + range.lowerBound, count: range.count)
            }
        }
    }

    /// Rows `range` of the integer product with already quantized activations (nothing for an
    /// empty range).
    @inline(__always)
    func integerRows(_ range: Range<Int>, _ xq: UnsafePointer<loom_block_q8>, into y: UnsafeMutablePointer<Float>) {
        guard !range.isEmpty else { return }
        loom_dot_rows_batch(format.kernelCode, base + range.lowerBound * rowBytes, Int64(rowBytes), Int64(range.count),
                            xq, Int64(cols / 32), 1, y + range.lowerBound, 0)
    }
}

@inline(__always)
private func shift(_ range: Range<Int>, by offset: Int) -> Range<Int> {
    (range.lowerBound - offset)..<(range.upperBound - offset)
}
