import Foundation

// Softmax over the last dimension, as torch.softmax(x, dim=-1): subtract the row maximum before exp
// so large logits do not overflow (llm.c softmax_forward does the same).

extension Kernels {
    /// Softmax of each row of `dim` floats, in place, over `rows` rows spaced `stride` floats apart.
    ///
    /// Only the first `dim` floats of each row are read and written. A row of all -infinity becomes
    /// NaN, as in PyTorch. Rows run in parallel, one thread per row.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, dim: Int, stride: Int? = nil) {
        guard dim > 0 else { return }
        let stride = stride ?? dim
        ComputeThreads.forEachChunk(rows, minimumPerChunk: rowsPerChunk(dim: dim)) { range in
            for r in range {
                softmaxRow(x + r * stride, count: dim)
            }
        }
    }

    /// Softmax of one row of `count` floats, in place.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, row[i]) }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(row[i] - maximum)
            row[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { row[i] *= inverse }
    }
}

extension Tensor {
    /// Softmax over the last dimension (numerically stable).
    public func softmax() -> Tensor {
        requireShape(rank >= 1, "softmax needs a tensor of rank >= 1")
        var out = self
        let rows = rowCount, dim = lastDimension
        out.data.withUnsafeMutableBufferPointer { op in
            if let base = op.baseAddress { Kernels.softmax(base, rows: rows, dim: dim) }
        }
        return out
    }
}
