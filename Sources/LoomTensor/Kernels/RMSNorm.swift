import LoomCheck
import Foundation

// RMS normalization as Llama's LlamaRMSNorm (transformers/models/llama/modeling_llama.py):
// x * rsqrt(mean(x^2) + eps) * weight, and torch.nn.functional.rms_norm.

extension Kernels {
    /// out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight, for `rows` rows of `dim` floats.
    ///
    /// `out` may be `x`. Rows run in parallel, one thread per row, so results do not depend on the
    /// thread count.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, eps: Float, rows: Int, dim: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        guard dim > 0 else { return }
        ComputeThreads.forEachChunk(rows, minimumPerChunk: rowsPerChunk(dim: dim)) { range in
            for r in range {
                let xRow = x + r * dim  // (C)
                let outRow = out + r * dim  // (C)
                var squares: Float = 0
                for i in 0..<dim { squares += xRow[i] * xRow[i] }
                let rms = 1 / (squares / Float(dim) + eps).squareRoot()
                if let weight {
                    for i in 0..<dim { outRow[i] = xRow[i] * rms * weight[i] }
                } else {
                    for i in 0..<dim { outRow[i] = xRow[i] * rms }
                }
            }
        }
    }
}

extension Tensor {
    /// RMS normalization over the last dimension: (..., C) with `weight` of shape (C).
    ///
    /// Stops the program when `weight` is not (C).
    public func rmsNorm(weight: Tensor?, eps: Float = 1e-6) -> Tensor {
        let dim = lastDimension
        require(rank >= 1, "rmsNorm needs a tensor of rank >= 1")
        require(weight == nil || weight!.shape == [dim], "rmsNorm weight must be [\(dim)] for input \(shape), got \(weight!.shape)")
        var out = Tensor(zeros: shape)
        data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                withOptionalPointer(weight) { wp in
                    Kernels.rmsNorm(xp.baseAddress!, weight: wp, eps: eps, rows: rowCount, dim: dim, into: op.baseAddress!)
                }
            }
        }
        return out
    }
}
