/// GPT-2's reversible byte <-> printable-character table: every byte gets a visible Unicode
/// character so that BPE vocabularies can be stored as text. Printable Latin-1 bytes map to
/// themselves; the rest map to U+0100 onwards in byte order.
/// Reference: `bytes_to_unicode` in openai/gpt-2 src/encoder.py and tokenizers' byte_level.rs.
public enum ByteLevel {
    /// `characters[b]` is the character that spells byte `b`.
    public static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a table character spells, nil for characters outside the table.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        guard value < 324 else { return nil }
        return decodeTable[Int(value)]
    }

    private static let decodeTable: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 324)
        for (byte, scalar) in characters.enumerated() { table[Int(scalar.value)] = UInt8(byte) }
        return table
    }()

    /// Bytes spelled as table characters (how a byte-level vocabulary writes them).
    public static func spell<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(characters[Int(byte)]) }
        return String(result)
    }

    /// The bytes a vocabulary token stands for. As tokenizers' ByteLevel decoder does, a token with
    /// any character outside the table (an added token like "<think>" in another script) stands
    /// for its own UTF-8 bytes.
    public static func bytes(ofToken token: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return Array(token.utf8) }
            result.append(byte)
        }
        return result
    }

    /// True when every character of `token` is in the table.
    public static func isSpelled(_ token: String) -> Bool {
        token.unicodeScalars.allSatisfy { byte(for: $0) != nil }
    }
}
