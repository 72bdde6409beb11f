// The WordPiece model of Hugging Face tokenizers (tokenizers/src/models/wordpiece/mod.rs, tokenize):
// greedy longest-match-first over each word; a word with any piece not in the vocabulary, or longer
// than max_input_chars_per_word, becomes the unknown token as a whole.

/// A WordPiece vocabulary with its unknown token and continuation prefix.
public struct WordPieceVocabulary: Sendable {
    /// Token string -> id.
    public let ids: [String: Int]
    public let unknownID: Int
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    /// The longest token in scalars (plus prefix), so the greedy search never tries longer pieces.
    private let longestPiece: Int

    public init(ids: [String: Int], unknownID: Int, continuingSubwordPrefix: String = "##", maxInputCharsPerWord: Int = 100) {
        self.ids = ids
        self.unknownID = unknownID
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        longestPiece = ids.keys.reduce(0) { max($0, $1.unicodeScalars.count) }
    }

    /// Appends the ids of one pre-tokenized word.
    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into out: inout [Int]) {
        let chars = Array(word)
        if chars.count > maxInputCharsPerWord {
            out.append(unknownID)
            return
        }
        var pieces: [Int] = []
        var start = 0
        while start < chars.count {
            var end = min(chars.count, start + longestPiece)
            var found: Int? = nil
            while start < end {
                var piece = start > 0 ? continuingSubwordPrefix : ""
                piece.unicodeScalars.append(contentsOf: chars[start..<end])
                if let id = ids[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                out.append(unknownID)
                return
            }
            pieces.append(id)
            start = end
        }
        out.append(contentsOf: pieces)
    }
}
