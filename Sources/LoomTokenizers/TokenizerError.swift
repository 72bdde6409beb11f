import Foundation

/// Errors a user can cause by handing Loom a bad tokenizer file, template or token id.
/// Every message names the file (or template) and says what to do.
public struct TokenizerError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be read or parsed at all.
        case unreadable
        /// The file parsed but a required field is missing or has the wrong kind.
        case malformed
        /// The file asks for a tokenizer feature Loom does not implement.
        case unsupported
        /// A token id outside the vocabulary was passed to decode.
        case idOutOfRange
        /// A chat template could not be parsed or rendered.
        case template
    }

    public let kind: Kind
    /// The file (or "chat template") the problem is in.
    public let source: String
    public let message: String

    public init(_ kind: Kind, source: String, _ message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
    public var errorDescription: String? { description }
}
