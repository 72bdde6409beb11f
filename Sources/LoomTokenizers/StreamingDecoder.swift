/// Decodes ids one at a time for streaming generation, emitting text only once its UTF-8 is
/// complete: a token that ends inside a multi-byte character (byte-level BPE splits emoji and
/// CJK across tokens) holds those bytes back until the next token completes them.
/// The concatenation of everything `append` and `finish` return equals `decode` of all the ids.
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    public let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// The text `id` completes ("" while a character is still incomplete).
    public mutating func append(_ id: Int) throws -> String {
        try tokenizer.appendBytes([id], skipSpecialTokens: skipSpecialTokens, to: &pending)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Whatever is held back, with an unfinished character replaced by U+FFFD; resets the decoder.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the prefix that can be decoded now: all of `bytes` unless it ends with a valid but
    /// unfinished UTF-8 sequence. Invalid bytes are not held (they decode to U+FFFD either way), so
    /// cutting before a lead byte keeps decoding piecewise equal to decoding the whole.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        var lead = count - 1
        while lead >= 0 && lead >= count - 4 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= 0 && lead >= count - 4 else { return count }
        let first = bytes[lead]
        let needed: Int
        switch first {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return count
        }
        let have = count - lead
        guard have < needed else { return count }
        if have >= 2 {
            let second = bytes[lead + 1]
            let allowed: ClosedRange<UInt8>
            switch first {
            case 0xE0: allowed = 0xA0...0xBF
            case 0xED: allowed = 0x80...0x9F
            case 0xF0: allowed = 0x90...0xBF
            case 0xF4: allowed = 0x80...0x8F
            default: allowed = 0x80...0xBF
            }
            guard allowed.contains(second) else { return count }
        }
        return lead
    }
}
