/// sentencepiece's normalizer: per character the longest precompiled rule (nmt_nfkc, nfkc, ...), user-defined
/// symbols kept whole, leading / trailing / repeated spaces removed (remove_extra_whitespaces), a space put in
/// front (add_dummy_prefix), and spaces written as U+2581 "▁" (escape_whitespaces). Works on UTF-8 bytes.
///
/// Reference: sentencepiece src/normalizer.cc (Normalizer::Normalize, NormalizePrefix).
struct SentencePieceNormalizer: Sendable {
    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]  // U+2581

    let charsMap: PrecompiledCharsMap?
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let treatWhitespaceAsSuffix: Bool
    /// User-defined pieces, matched before the rules and never normalized (sentencepiece's PrefixMatcher).
    let userDefined: PieceTrie

    /// The normalized prefix of `input` at `start`: the bytes it becomes and how many input bytes it consumes.
    private func normalizePrefix(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> (output: ArraySlice<UInt8>, consumed: Int) {
        let longestUserDefined = userDefined.longestPrefixLength(input, from: start)
        if longestUserDefined > 0 { return (ArraySlice(input[start..<start + longestUserDefined]), longestUserDefined) }
        if let charsMap, let match = charsMap.longestMatch(input, from: start) {
            return (match.replacement, match.length)
        }
        let length = min(Self.utf8Length(leadingByte: input[start]), input.count - start)
        return (ArraySlice(input[start..<start + length]), length)
    }

    /// Bytes in the UTF-8 character that starts with `byte` (1 for a stray continuation byte).
    static func utf8Length(leadingByte byte: UInt8) -> Int {
        switch byte {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }

    func normalize(_ text: String) -> [UInt8] {
        var utf8 = Array(text.utf8)
        return utf8.withUnsafeMutableBufferPointer { normalize(UnsafeBufferPointer($0)) }
    }

    func normalize(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var position = 0
        if !treatWhitespaceAsSuffix && removeExtraWhitespaces {
            while position < input.count {
                let prefix = normalizePrefix(input, from: position)
                guard prefix.output.count == 1, prefix.output.first == 0x20 else { break }
                position += prefix.consumed
            }
        }
        guard position < input.count else { return [] }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 2 + 3)
        let space: [UInt8] = escapeWhitespaces ? Self.spaceSymbol : [0x20]
        if !treatWhitespaceAsSuffix && addDummyPrefix { output += space }
        var previousIsSpace = removeExtraWhitespaces
        while position < input.count {
            let prefix = normalizePrefix(input, from: position)
            var piece = prefix.output
            // Spaces at the start of a piece after a piece that ended with one are dropped.
            while previousIsSpace, piece.first == 0x20 { piece = piece.dropFirst() }
            if !piece.isEmpty {
                for byte in piece {
                    if byte == 0x20 && escapeWhitespaces { output += Self.spaceSymbol } else { output.append(byte) }
                }
                previousIsSpace = piece.last == 0x20
            }
            position += prefix.consumed
            previousIsSpace = previousIsSpace && removeExtraWhitespaces
        }
        if removeExtraWhitespaces {
            while output.count >= space.count, Array(output.suffix(space.count)) == space { output.removeLast(space.count) }
        }
        if treatWhitespaceAsSuffix && addDummyPrefix { output += space }
        return output
    }
}
