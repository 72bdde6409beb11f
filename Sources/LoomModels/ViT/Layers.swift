import LoomTensor
import LoomWeights

/// torch.nn.Linear: y = x W^T + b, with W (out, in) stored transposed as (in, out).
///
/// Encoders multiply few rows (50 tokens for ViT-B/32) by large weights, so OpenBLAS's packing of the
/// weight is a large share of each product; packing a row-major (in, out) operand reads memory in
/// order and measured faster than the transposed (out, in) layout.
public struct LinearLayer: Sendable {
    /// (in, out): W^T.
    public let transposedWeight: Tensor
    /// (out), or nil.
    public let bias: Tensor?

    public var inFeatures: Int { transposedWeight.shape[0] }
    public var outFeatures: Int { transposedWeight.shape[1] }

    /// From a PyTorch weight (out, in) and bias (out).
    public init(weight: Tensor, bias: Tensor?) {
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        var transposed = [Float](repeating: 0, count: weight.count)
        weight.data.withUnsafeBufferPointer { w in
            transposed.withUnsafeMutableBufferPointer { t in
                // 32 x 32 tiles keep both the reads and the writes in cache.
                for o0 in stride(from: 0, to: outFeatures, by: 32) {
                    for i0 in stride(from: 0, to: inFeatures, by: 32) {
                        for o in o0..<min(o0 + 32, outFeatures) {
                            for i in i0..<min(i0 + 32, inFeatures) { t[i * outFeatures + o] = w[o * inFeatures + i] }
                        }
                    }
                }
            }
        }
        transposedWeight = Tensor(shape: [inFeatures, outFeatures], data: transposed)
        self.bias = bias
    }

    /// Reads `name.weight` (out, in) and, when `bias`, `name.bias` (out), checking shapes.
    public init(_ scope: WeightScope, _ name: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws {
        self.init(
            weight: try scope.tensor(name + ".weight", shape: [outFeatures, inFeatures]),
            bias: bias ? try scope.tensor(name + ".bias", shape: [outFeatures]) : nil)
    }

    /// (rows, in) -> (rows, out)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let rows = x.rowCount, n = outFeatures, k = inFeatures
        // Model code fixes these shapes; a mismatch is a programmer error (kept in -Ounchecked builds).
        if x.lastDimension != k { fatalError("LoomModels: linear input \(x.shape) does not end in \(k) features") }
        var out = Tensor(zeros: Array(x.shape.dropLast()) + [n])
        if rows == 0 || n == 0 { return out }
        out.data.withUnsafeMutableBufferPointer { y in
            if let bias {
                bias.data.withUnsafeBufferPointer { b in
                    for r in 0..<rows { (y.baseAddress! + r * n).update(from: b.baseAddress!, count: n) }
                }
            }
            x.data.withUnsafeBufferPointer { xp in
                transposedWeight.data.withUnsafeBufferPointer { w in
                    // (rows, in) x (in, out) -> (rows, out), accumulating onto the bias
                    BLAS.sgemm(
                        m: rows, n: n, k: k, a: xp.baseAddress!, lda: k, b: w.baseAddress!, ldb: n,
                        beta: bias == nil ? 0 : 1, c: y.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}

/// torch.nn.LayerNorm weights over the last dimension.
public struct LayerNormLayer: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(_ scope: WeightScope, _ name: String, dim: Int, eps: Float) throws {
        weight = try scope.tensor(name + ".weight", shape: [dim])
        bias = try scope.tensor(name + ".bias", shape: [dim])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight, bias: bias, eps: eps)
    }
}

/// CLIPMLP / SiglipMLP: fc1, activation, fc2.
public struct FeedForward: Sendable {
    public let fc1: LinearLayer
    public let fc2: LinearLayer
    public let activation: HiddenActivation

    public init(_ scope: WeightScope, hidden: Int, intermediate: Int, activation: HiddenActivation) throws {
        fc1 = try LinearLayer(scope, ViTWeightNames.Encoder.fc1, in: hidden, out: intermediate)
        fc2 = try LinearLayer(scope, ViTWeightNames.Encoder.fc2, in: intermediate, out: hidden)
        self.activation = activation
    }

    /// (T, hidden) -> (T, hidden)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = fc1(x)  // (T, intermediate)
        activation.apply(&h)
        return fc2(h)
    }
}
