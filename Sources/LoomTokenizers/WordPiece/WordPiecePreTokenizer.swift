// The BERT pre-tokenizer of Hugging Face tokenizers (tokenizers/src/pre_tokenizers/bert.rs): split on
// whitespace (removed), then split off every punctuation character as its own word.

enum WordPiecePreTokenizer {
    /// Words of `text`, each a range of scalars.
    static func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start: Int? = nil
        for (i, c) in text.enumerated() {
            if c.properties.isWhitespace {
                if let s = start { words.append(s..<i); start = nil }
            } else if isPunctuation(c) {
                if let s = start { words.append(s..<i); start = nil }
                words.append(i..<(i + 1))
            } else if start == nil {
                start = i
            }
        }
        if let s = start { words.append(s..<text.count) }
        return words
    }

    /// bert.rs is_bert_punc: ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or a
    /// Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            let v = c.value
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
