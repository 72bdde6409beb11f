import LoomCheck
import CLoomKernels
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

    /// Softmax of one row of `count` floats, in place: the AVX2 body in C (`loom_softmax_row`) where
    /// the CPU has it; otherwise exp four at a time (VectorMath.exp), summed in four lanes, then the
    /// lanes in a fixed order.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        if loom_softmax_row(row, Int64(count)) != 0 { return }
        let vectorEnd = count & ~3
        var maxima = SIMD4<Float>(repeating: -.infinity)
        var i = 0
        while i < vectorEnd {
            let v = VectorMath.load(row + i)
            maxima = maxima.replacing(with: v, where: v .> maxima)
            i += 4
        }
        var maximum = maxima.max()
        while i < count {
            maximum = max(maximum, row[i])
            i += 1
        }
        var sums = SIMD4<Float>()
        i = 0
        while i < vectorEnd {
            let e = VectorMath.exp(VectorMath.load(row + i) - maximum)
            VectorMath.store(e, row + i)
            sums += e
            i += 4
        }
        if i < count {
            let rest = count - i
            let e = VectorMath.exp(VectorMath.loadPartial(row + i, count: rest) - maximum)
            VectorMath.storePartial(e, row + i, count: rest)
            for lane in 0..<rest { sums[lane] += e[lane] }
        }
        let inverse = 1 / sums.sum()
        i = 0
        while i < vectorEnd {
            VectorMath.store(VectorMath.load(row + i) * inverse, row + i)
            i += 4
        }
        while i < count {
            row[i] *= inverse
            i += 1
        }
    }
}

extension Tensor {
    /// Softmax over the last dimension (numerically stable).
    public func softmax() -> Tensor {
        require(rank >= 1, "softmax needs a tensor of rank >= 1")
        var out = self
        let rows = rowCount, dim = lastDimension
        out.data.withUnsafeMutableBufferPointer { op in
            if let base = op.baseAddress { Kernels.softmax(base, rows: rows, dim: dim) }
        }
        return out
    }
}
