import Foundation
import LoomTensor

/// The MLP activation a config's `hidden_act` names, as transformers' ACT2FN
/// (transformers/activations.py): "quick_gelu" (OpenAI CLIP), "gelu" (exact erf form),
/// "gelu_pytorch_tanh" / "gelu_new" (tanh approximation; SigLIP).
public enum HiddenActivation: String, Codable, Sendable, CaseIterable {
    case quickGELU = "quick_gelu"
    case gelu = "gelu"
    case geluPyTorchTanh = "gelu_pytorch_tanh"
    case geluNew = "gelu_new"

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let activation = HiddenActivation(rawValue: name) else {
            throw EncoderError.invalidConfig(
                file: "", field: decoder.codingPath.map(\.stringValue).joined(separator: "."),
                reason: "is \"\(name)\"; Loom supports " + Self.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        self = activation
    }

    /// Applies the activation to `count` floats in place.
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu: Kernels.gelu(x, count: count, approximation: .none)
        case .geluPyTorchTanh, .geluNew: Kernels.gelu(x, count: count, approximation: .tanh)
        case .quickGELU: Kernels.quickGELU(x, count: count)  // QuickGELUActivation: x * sigmoid(1.702 x)
        }
    }

    func apply(_ tensor: inout Tensor) {
        tensor.data.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { apply(base, count: p.count) }
        }
    }
}
