/// sentencepiece's precompiled normalization rules (`normalizer_spec.precompiled_charsmap`): a Darts-clone
/// double-array trie over UTF-8 byte sequences whose leaf values are offsets of NUL-terminated replacement
/// strings in a blob after it. Layout: <trie size, uint32 LE><trie units, uint32 LE each><replacements>.
///
/// Reference: sentencepiece src/normalizer.cc (DecodePrecompiledCharsMap, NormalizePrefix) and
/// third_party/darts_clone/darts.h (DoubleArrayUnit, commonPrefixSearch); the tokenizers crate reads the
/// same blob in normalizers/precompiled (spm_precompiled).
struct PrecompiledCharsMap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    /// Nil when the blob is not in this layout (the caller names the file).
    init?(_ blob: [UInt8]) {
        guard blob.count > 4 else { return nil }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize % 4 == 0, trieSize > 0, trieSize < blob.count - 4 else { return nil }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for i in 0..<units.count {
            let base = 4 + 4 * i
            units[i] = UInt32(blob[base]) | UInt32(blob[base + 1]) << 8 | UInt32(blob[base + 2]) << 16 | UInt32(blob[base + 3]) << 24
        }
        self.units = units
        replacements = Array(blob[(4 + trieSize)...])
    }

    /// The longest rule matching a prefix of `input`: how many bytes it consumes and the bytes it writes.
    /// Nil when no rule matches (the character is kept as it is).
    func longestMatch(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> (length: Int, replacement: ArraySlice<UInt8>)? {
        units.withUnsafeBufferPointer { units -> (Int, ArraySlice<UInt8>)? in
            @inline(__always) func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
            var nodePosition = offset(units[0])
            var best: (length: Int, value: Int)?
            var i = start
            while i < input.count {
                let byte = input[i]
                nodePosition ^= Int(byte)
                guard nodePosition < units.count else { break }
                let unit = units[nodePosition]
                guard unit & ((1 << 31) | 0xFF) == UInt32(byte) else { break }
                nodePosition ^= offset(unit)
                guard nodePosition < units.count else { break }
                if (unit >> 8) & 1 == 1 {
                    best = (i + 1 - start, Int(units[nodePosition] & ((1 << 31) - 1)))
                }
                i += 1
            }
            guard let best, best.value < replacements.count else { return nil }
            var end = best.value
            while end < replacements.count, replacements[end] != 0 { end += 1 }
            return (best.length, replacements[best.value..<end])
        }
    }
}
