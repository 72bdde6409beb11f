import Foundation

/// Why a CLIP / SigLIP style model could not be loaded or run on an input. Every case names the file
/// or the input at fault and says what to do.
public enum EncoderError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A file the model folder needs is absent.
    case missingFile(path: String, what: String)
    /// config.json is unreadable, not JSON, or a field has a value Loom cannot use.
    case invalidConfig(file: String, field: String, reason: String)
    /// config.json describes another architecture.
    case wrongModelType(file: String, found: String, expected: [String])
    /// The pixel values are not (3, H, W) at the model's image size.
    case wrongImageShape(got: [Int], expected: [Int])
    /// A text input with no tokens.
    case emptyTokenSequence
    /// More tokens than the model has positions.
    case sequenceTooLong(count: Int, maxPositions: Int)
    /// A token id outside the model's vocabulary.
    case tokenOutOfRange(id: Int, position: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .missingFile(path, what):
            return "\(path): file not found; the model folder needs \(what)"
        case let .invalidConfig(file, field, reason):
            return "\(file): field \"\(field)\" \(reason)"
        case let .wrongModelType(file, found, expected):
            return "\(file): model_type \"\(found)\" is not \(expected.map { "\"\($0)\"" }.joined(separator: " or ")); "
                + "give the folder of a model of that family"
        case let .wrongImageShape(got, expected):
            return "pixel values of shape \(got) do not fit the model, which takes \(expected); "
                + "preprocess the image with the model folder's preprocessor_config.json"
        case .emptyTokenSequence:
            return "the token sequence is empty; tokenize a text (with its special tokens) first"
        case let .sequenceTooLong(count, maxPositions):
            return "the token sequence has \(count) tokens but the model has only \(maxPositions) positions; truncate it"
        case let .tokenOutOfRange(id, position, vocabularySize):
            return "token id \(id) at position \(position) is outside the vocabulary (0..<\(vocabularySize)); "
                + "use the tokenizer that belongs to this model"
        }
    }

    public var errorDescription: String? { description }
}
