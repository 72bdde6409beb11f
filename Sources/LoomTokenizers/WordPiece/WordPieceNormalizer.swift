import Foundation

// The BERT normalizer of Hugging Face tokenizers (tokenizers/src/normalizers/bert.rs, BertNormalizer):
// clean text, pad CJK ideographs with spaces, strip accents (NFD, drop nonspacing marks), lowercase
// one character at a time (Rust's char::to_lowercase), in that order.

/// BertNormalizer options, as in tokenizer.json's "normalizer" object.
public struct WordPieceNormalizer: Sendable, Equatable {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    /// nil follows `lowercase`, as BertNormalizer's strip_accents = None.
    public var stripAccents: Bool?
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalized text as Unicode scalars.
    public func normalize(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var text = scalars
        if cleanText {
            text = text.compactMap { c in
                if c.value == 0 || c.value == 0xFFFD || Self.isControl(c) { return nil }
                return Self.isWhitespace(c) ? " " : c
            }
        }
        if handleChineseChars {
            var padded: [Unicode.Scalar] = []
            padded.reserveCapacity(text.count)
            for c in text {
                if Self.isChineseChar(c) {
                    padded.append(" "); padded.append(c); padded.append(" ")
                } else {
                    padded.append(c)
                }
            }
            text = padded
        }
        if stripAccents ?? lowercase {
            // NFD, then drop Mn (nonspacing marks); no recomposition afterwards, as tokenizers.
            let decomposed = String(String.UnicodeScalarView(text)).decomposedStringWithCanonicalMapping
            text = decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(text.count)
            for c in text {
                if c.isASCII {
                    lowered.append(c.value >= 65 && c.value <= 90 ? Unicode.Scalar(c.value + 32)! : c)
                } else {
                    lowered.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
                }
            }
            text = lowered
        }
        return text
    }

    /// tokenizers' bert.rs is_whitespace: tab, newline, carriage return, space, or Unicode White_Space.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "\t", "\n", "\r", " ": return true
        default: return c.properties.isWhitespace
        }
    }

    /// tokenizers' bert.rs is_control: categories Cc, Cf, Cn, Co (and surrogates), except tab, newline
    /// and carriage return, which count as whitespace.
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "\t", "\n", "\r": return false
        default:
            switch c.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    /// The CJK Unified Ideographs blocks of BERT's `_is_chinese_char` (Hangul and kana are not in them).
    static func isChineseChar(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
