import CLoomKernels
import Foundation

// Element-wise activations, as torch.nn.functional.gelu (approximate='none' | 'tanh') and silu
// (https://pytorch.org/docs/stable/generated/torch.nn.functional.gelu.html).

/// Which GELU formula a model was trained with.
public enum GELUApproximation: Sendable {
    /// 0.5 x (1 + erf(x / sqrt 2)): BERT, Whisper, CLIP/SigLIP vision towers ("gelu").
    case none
    /// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GPT-2, SigLIP ("gelu_pytorch_tanh").
    case tanh
}

extension Kernels {
    /// Element-wise work splits across threads from this many floats.
    static let activationElementsPerChunk = 1 << 16

    /// GELU on `count` floats, in place (AVX2 in C where the CPU has it, else vectorized erf / tanh,
    /// see VectorMath).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, approximation: GELUApproximation = .none) {
        ComputeThreads.forEachChunk(count, minimumPerChunk: activationElementsPerChunk) { range in
            if loom_gelu(x + range.lowerBound, Int64(range.count), approximation == .tanh ? 1 : 0) != 0 { return }
            switch approximation {
            case .none:
                VectorMath.map(x, range) { v in 0.5 * v * (1 + VectorMath.erf(v * 0.70710678118654752)) }
            case .tanh:
                VectorMath.map(x, range) { v in
                    0.5 * v * (1 + VectorMath.tanh(0.79788456080286536 * (v + 0.044715 * v * v * v)))
                }
            }
        }
    }

    /// SiLU (swish), x * sigmoid(x), on `count` floats, in place.
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        ComputeThreads.forEachChunk(count, minimumPerChunk: activationElementsPerChunk) { range in
            if loom_sigmoid_gate(x + range.lowerBound, Int64(range.count), 1) != 0 { return }
            VectorMath.map(x, range) { v in v / (1 + VectorMath.exp(-v)) }
        }
    }

    /// QuickGELU (OpenAI CLIP), x * sigmoid(1.702 x), on `count` floats, in place.
    public static func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int) {
        ComputeThreads.forEachChunk(count, minimumPerChunk: activationElementsPerChunk) { range in
            if loom_sigmoid_gate(x + range.lowerBound, Int64(range.count), 1.702) != 0 { return }
            VectorMath.map(x, range) { v in v / (1 + VectorMath.exp(-1.702 * v)) }
        }
    }
}

extension Tensor {
    /// GELU, element-wise; `.none` is the exact (erf) form.
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        var out = self
        out.data.withUnsafeMutableBufferPointer { op in
            if let base = op.baseAddress { Kernels.gelu(base, count: op.count, approximation: approximation) }
        }
        return out
    }

    /// SiLU (x * sigmoid(x)), element-wise.
    public func silu() -> Tensor {
        var out = self
        out.data.withUnsafeMutableBufferPointer { op in
            if let base = op.baseAddress { Kernels.silu(base, count: op.count) }
        }
        return out
    }
}
