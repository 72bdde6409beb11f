import Foundation
import LoomCheck

/// Problems loading or running a Llama-family model. Each names the file (or the input) and says
/// what to do.
public typealias LlamaError = FileError<LlamaProblem>

/// What can be wrong with a Llama-family model file or folder.
public enum LlamaProblem: FileProblem {
    /// The file holds another architecture (GGUF `general.architecture`, config `model_type`).
    case wrongArchitecture(found: String)
    /// A required metadata key is absent or has the wrong type.
    case missingMetadata(String)
    /// Values that cannot describe a working model.
    case invalidConfig(String)
    /// rope_scaling kinds other than linear and llama3.
    case unsupportedRopeScaling(String)
    /// A weight stored in a type this runtime cannot read.
    case unsupportedWeightType(tensor: String, dtype: String)
    /// No config.json / *.gguf where a model was expected.
    case notAModel

    public var message: String {
        switch self {
        case .wrongArchitecture(let found):
            "holds a '\(found)' model, not a Llama-family model (architecture 'llama'); pass a Llama/SmolLM2 GGUF file or Hugging Face folder"
        case .missingMetadata(let key):
            "missing or malformed '\(key)'; the file is incomplete or not a Llama model"
        case .invalidConfig(let message):
            "invalid Llama configuration: \(message)"
        case .unsupportedRopeScaling(let type):
            "rope scaling '\(type)' is not supported (linear and llama3 are); use a model without it"
        case .unsupportedWeightType(let tensor, let dtype):
            "tensor '\(tensor)' is stored as \(dtype), which Loom cannot read; use an F32/F16/BF16/Q8_0/Q4_0/Q4_1/Q4_K/Q5_K/Q6_K file"
        case .notAModel:
            "no Llama model here (expected a .gguf file or a folder with config.json and *.safetensors)"
        }
    }

}

/// Misuse of a running session: bad token ids, inputs of the wrong shape, a full context.
public struct LlamaInputError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
