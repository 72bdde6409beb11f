import LoomTensor
import LoomWeights

/// torch.nn.Linear weights: (out, in) and an optional bias (out).
public struct LinearLayer: Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Reads `name.weight` (out, in) and, when `bias`, `name.bias` (out), checking shapes.
    public init(_ scope: WeightScope, _ name: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws {
        weight = try scope.tensor(name + ".weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try scope.tensor(name + ".bias", shape: [outFeatures]) : nil
    }

    /// (..., in) -> (..., out)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.linear(x, weight: weight, bias: bias)
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
        fc1 = try LinearLayer(scope, "fc1", in: hidden, out: intermediate)
        fc2 = try LinearLayer(scope, "fc2", in: intermediate, out: hidden)
        self.activation = activation
    }

    /// (T, hidden) -> (T, hidden)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = fc1(x)  // (T, intermediate)
        activation.apply(&h)
        return fc2(h)
    }
}
