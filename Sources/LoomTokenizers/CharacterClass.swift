/// The character classes the pre-tokenizer regexes use, with the Unicode definitions the
/// reference regex engines (Oniguruma in tokenizers, std::wregex tables in llama.cpp) apply:
/// `\p{L}` letters (Lu Ll Lt Lm Lo), `\p{N}` numbers (Nd Nl No), `\s` the White_Space property.
enum CharacterClass: UInt8 {
    case letter, number, whitespace, other

    /// ASCII answers from a table; the rest from the scalar's Unicode properties.
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> CharacterClass {
        let value = scalar.value
        if value < 128 { return ascii[Int(value)] }
        return nonASCII(scalar)
    }

    private static let ascii: [CharacterClass] = (0..<128).map { nonASCII(Unicode.Scalar(UInt8($0))) }

    private static func nonASCII(_ scalar: Unicode.Scalar) -> CharacterClass {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return properties.isWhitespace ? .whitespace : .other
        }
    }
}
