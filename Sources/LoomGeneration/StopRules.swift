/// When generation ends: a token budget, end-of-sequence ids (a chat model often has several, e.g.
/// `<|im_end|>` and `<|endoftext|>`), and stop strings matched on the decoded text.
public struct StopRules: Sendable, Equatable {
    /// New tokens to produce at most (the end-of-sequence token counts as one).
    public var maxTokens: Int
    public var eosTokenIDs: Set<Int>
    public var stopStrings: [String]

    public init(maxTokens: Int, eosTokenIDs: Set<Int> = [], stopStrings: [String] = []) {
        self.maxTokens = maxTokens
        self.eosTokenIDs = eosTokenIDs
        self.stopStrings = stopStrings
    }

    func validate() throws(GenerationError) {
        guard maxTokens >= 1 else { throw .invalidMaxTokens(maxTokens) }
        if stopStrings.contains(where: \.isEmpty) { throw .emptyStopString }
    }
}

/// Why a generation ended.
public enum FinishReason: Sendable, Equatable {
    /// The model produced this end-of-sequence token (not included in the result's tokens or text).
    case endOfSequence(token: Int)
    /// The decoded text completed this stop string (its token is in the result; the text is cut before it).
    case stopString(String)
    case maxTokens
}

/// Turns generated token ids into text as they arrive. A token that ends inside a multi-byte
/// character returns "" and the text comes with a later token; `finish` returns what is left.
/// The tokenizer module provides the real one; the generator only needs this shape.
public protocol IncrementalDetokenizer {
    mutating func append(_ token: Int) -> String
    mutating func finish() -> String
}

extension IncrementalDetokenizer {
    public mutating func finish() -> String { "" }
}

/// Adapts a closure (token -> text piece) to `IncrementalDetokenizer`.
public struct ClosureDetokenizer: IncrementalDetokenizer {
    private let piece: (Int) -> String

    public init(_ piece: @escaping (Int) -> String) { self.piece = piece }

    public mutating func append(_ token: Int) -> String { piece(token) }
}
