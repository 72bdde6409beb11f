import Foundation

/// Why a SentencePiece model file (spiece.model, tokenizer.model) cannot be used. Every message names the
/// file and says what to do.
public struct SentencePieceError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be read from disk.
        case unreadable
        /// The file ends in the middle of a protobuf field: a partial download or copy.
        case truncated
        /// The bytes are not a SentencePiece ModelProto, or a field has an impossible value.
        case malformed
        /// A valid model asks for something Loom does not implement (a model type other than unigram / BPE).
        case unsupported
        /// A token id outside the vocabulary was passed to decode.
        case idOutOfRange
    }

    public let kind: Kind
    /// The model file the problem is in.
    public let file: String
    public let message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String {
        let advice = switch kind {
        case .unreadable: "check the path and its permissions"
        case .truncated, .malformed: "restore spiece.model from the model's repository (a SentencePiece .model file)"
        case .unsupported: "use a model trained as unigram or BPE"
        case .idOutOfRange: "pass ids produced by this model's tokenizer"
        }
        return "\(file): \(message); \(advice)"
    }

    public var errorDescription: String? { description }
}
