import LoomCheck
import Foundation

// Layer normalization over the last dimension, as torch.nn.functional.layer_norm
// (https://pytorch.org/docs/stable/generated/torch.nn.functional.layer_norm.html) and llm.c's
// layernorm_forward (https://github.com/karpathy/llm.c/blob/master/train_gpt2.c).

extension Kernels {
    /// out[r, :] = (x[r, :] - mean) / sqrt(var + eps) * weight + bias, for `rows` rows of `dim` floats.
    ///
    /// Variance is the biased one (divide by dim), as PyTorch. `out` may be `x`. Rows run in parallel;
    /// each row is computed by one thread, so the result does not depend on the thread count.
    public static func layerNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        eps: Float, rows: Int, dim: Int, into out: UnsafeMutablePointer<Float>
    ) {
        guard dim > 0 else { return }
        ComputeThreads.forEachChunk(rows, minimumPerChunk: rowsPerChunk(dim: dim)) { range in
            for r in range {
                let xRow = x + r * dim  // (C)
                let outRow = out + r * dim  // (C)
                var sum: Float = 0
                for i in 0..<dim { sum += xRow[i] }
                let mean = sum / Float(dim)
                var squares: Float = 0
                for i in 0..<dim {
                    let centered = xRow[i] - mean
                    squares += centered * centered
                }
                let rstd = 1 / (squares / Float(dim) + eps).squareRoot()
                // One branch per row, so the element loops stay free of branches and vectorize.
                switch (weight, bias) {
                case let (w?, b?): for i in 0..<dim { outRow[i] = (xRow[i] - mean) * rstd * w[i] + b[i] }
                case let (w?, nil): for i in 0..<dim { outRow[i] = (xRow[i] - mean) * rstd * w[i] }
                case let (nil, b?): for i in 0..<dim { outRow[i] = (xRow[i] - mean) * rstd + b[i] }
                case (nil, nil): for i in 0..<dim { outRow[i] = (xRow[i] - mean) * rstd }
                }
            }
        }
    }
}

extension Tensor {
    /// Layer normalization over the last dimension: (..., C) with `weight` and `bias` of shape (C).
    ///
    /// Stops the program when `weight` or `bias` is not (C).
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let dim = lastDimension
        require(rank >= 1, "layerNorm needs a tensor of rank >= 1")
        require(weight == nil || weight!.shape == [dim], "layerNorm weight must be [\(dim)] for input \(shape), got \(weight!.shape)")
        require(bias == nil || bias!.shape == [dim], "layerNorm bias must be [\(dim)] for input \(shape), got \(bias!.shape)")
        var out = Tensor(zeros: shape)
        data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { op in
                withOptionalPointer(weight) { wp in
                    withOptionalPointer(bias) { bp in
                        Kernels.layerNorm(
                            xp.baseAddress!, weight: wp, bias: bp, eps: eps, rows: rowCount, dim: dim,
                            into: op.baseAddress!)
                    }
                }
            }
        }
        return out
    }
}

/// Calls `body` with the tensor's storage, or with nil when there is no tensor.
@inline(__always)
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.data.withUnsafeBufferPointer { body($0.baseAddress) }
}
