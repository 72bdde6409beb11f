import Foundation

/// Why a WordPiece tokenizer could not be loaded. Every case names the file and says what to do.
public struct WordPieceTokenizerError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file is missing or unreadable.
        case cannotRead(reason: String)
        /// The file is not JSON, or a field has the wrong type.
        case malformed(String)
        /// A component (model, normalizer, pre-tokenizer, post-processor) Loom does not implement.
        case unsupported(String)
    }

    public let file: String
    public let kind: Kind

    public init(file: String, _ kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .cannotRead(let reason):
            return "\(file): cannot read tokenizer: \(reason). Check that the model folder is complete (loom models pull)."
        case .malformed(let what):
            return "\(file): malformed tokenizer file: \(what). Download or export the tokenizer again."
        case .unsupported(let what):
            return "\(file): unsupported tokenizer: \(what). Loom reads WordPiece tokenizers with the BERT normalizer and pre-tokenizer."
        }
    }

    public var errorDescription: String? { description }
}
