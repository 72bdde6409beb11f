// Added (special) tokens of Hugging Face tokenizers (tokenizers/src/tokenizer/added_vocabulary.rs):
// they are found in the text before the model runs, leftmost-longest, and map straight to their ids.
// Tokens with normalized = false match the raw text; those with normalized = true match the text
// after normalization.

/// One entry of tokenizer.json's "added_tokens".
public struct WordPieceAddedToken: Sendable, Equatable {
    public let id: Int
    public let content: String
    public let normalized: Bool
    public let special: Bool

    public init(id: Int, content: String, normalized: Bool, special: Bool) {
        self.id = id
        self.content = content
        self.normalized = normalized
        self.special = special
    }
}

/// A piece of input: either text still to tokenize, or an added token already resolved to its id.
enum WordPieceSegment {
    case text(ArraySlice<Unicode.Scalar>)
    case token(Int)
}

/// Leftmost-longest matching of a set of token strings.
struct WordPieceTokenMatcher: Sendable {
    private let tokens: [(scalars: [Unicode.Scalar], id: Int)]

    init(_ tokens: [WordPieceAddedToken]) {
        // Longest first, so the first match at a position is the longest one.
        self.tokens = tokens.filter { !$0.content.isEmpty }
            .map { (Array($0.content.unicodeScalars), $0.id) }
            .sorted { $0.scalars.count > $1.scalars.count }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Splits `text` around every match.
    func split(_ text: ArraySlice<Unicode.Scalar>) -> [WordPieceSegment] {
        if tokens.isEmpty { return [.text(text)] }
        var segments: [WordPieceSegment] = []
        var plainStart = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            if let match = tokens.first(where: { matches($0.scalars, in: text, at: i) }) {
                if plainStart < i { segments.append(.text(text[plainStart..<i])) }
                segments.append(.token(match.id))
                i += match.scalars.count
                plainStart = i
            } else {
                i += 1
            }
        }
        if plainStart < text.endIndex { segments.append(.text(text[plainStart..<text.endIndex])) }
        return segments
    }

    private func matches(_ token: [Unicode.Scalar], in text: ArraySlice<Unicode.Scalar>, at i: Int) -> Bool {
        guard text.endIndex - i >= token.count else { return false }
        for k in 0..<token.count where text[i + k] != token[k] { return false }
        return true
    }
}
