import Foundation

/// A byte-level BPE tokenizer: added tokens split out first, then pre-tokenizer -> BPE model ->
/// post-processor (special tokens around the sequence); decoding goes through the byte-level
/// decoder. The pipeline and its names follow tokenizers (and swift-transformers' Tokenizers).
/// Load one with `Tokenizer.load(tokenizerJSON:)` or `Tokenizer.load(gguf:)`.
public final class Tokenizer: Sendable {
    /// The file it was loaded from, for messages.
    public let source: String
    public let model: BPEModel
    public let preTokenizer: [PreTokenizerStep]
    /// ByteLevel `add_prefix_space`: a space before text that does not start with one.
    public let addPrefixSpace: Bool
    public let addedTokens: [AddedToken]
    /// Ids the post-processor puts before and after the text when `addSpecialTokens` is true.
    public let prefixIDs: [Int]
    public let suffixIDs: [Int]
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    public let padTokenID: Int?
    /// The chat template the file carries (GGUF `tokenizer.chat_template`), if any.
    public let chatTemplate: String?

    private let matcher: AddedTokenMatcher
    private let addedByID: [Int: AddedToken]
    private let addedByContent: [String: AddedToken]
    /// Bytes of every id, flattened: id `i` is `tokenBytes[tokenOffsets[i]..<tokenOffsets[i+1]]`.
    private let tokenBytes: [UInt8]
    private let tokenOffsets: [Int]

    public init(source: String, model: BPEModel, preTokenizer: [PreTokenizerStep], addPrefixSpace: Bool = false,
                addedTokens: [AddedToken], prefixIDs: [Int] = [], suffixIDs: [Int] = [],
                bosTokenID: Int? = nil, eosTokenID: Int? = nil, padTokenID: Int? = nil, chatTemplate: String? = nil) {
        self.source = source
        self.model = model
        self.preTokenizer = preTokenizer
        self.addPrefixSpace = addPrefixSpace
        self.addedTokens = addedTokens
        self.prefixIDs = prefixIDs
        self.suffixIDs = suffixIDs
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
        self.chatTemplate = chatTemplate
        matcher = AddedTokenMatcher(addedTokens)
        var byID: [Int: AddedToken] = [:]
        var byContent: [String: AddedToken] = [:]
        for token in addedTokens {
            byID[token.id] = token
            byContent[token.content] = token
        }
        addedByID = byID
        addedByContent = byContent
        let size = max(model.vocabularySize, (addedTokens.map(\.id).max() ?? -1) + 1)
        var bytes: [UInt8] = []
        var offsets = [0]
        offsets.reserveCapacity(size + 1)
        for id in 0..<size {
            let token = byID[id]?.content ?? (id < model.vocabularySize ? model.tokens[id] : "")
            bytes.append(contentsOf: ByteLevel.bytes(ofToken: token))
            offsets.append(bytes.count)
        }
        tokenBytes = bytes
        tokenOffsets = offsets
    }

    /// Number of ids, added tokens included.
    public var vocabularySize: Int { tokenOffsets.count - 1 }

    /// The vocabulary's spelling of `id` (byte-level for BPE tokens), nil when out of range.
    public func token(for id: Int) -> String? {
        if let added = addedByID[id] { return added.content }
        guard id >= 0, id < model.vocabularySize else { return nil }
        return model.tokens[id]
    }

    /// The id of a token spelled as the vocabulary spells it (added tokens by their content).
    public func id(for token: String) -> Int? {
        addedByContent[token]?.id ?? model.ids[token]
    }

    public func isSpecial(_ id: Int) -> Bool { addedByID[id]?.special ?? false }

    /// The raw bytes `id` stands for, nil when out of range.
    public func bytes(for id: Int) -> ArraySlice<UInt8>? {
        guard id >= 0, id < vocabularySize else { return nil }
        return tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]
    }

    /// Token ids for `text`. Added tokens in the text are matched whole; `addSpecialTokens` adds
    /// what the post-processor adds (Whisper: `<|startoftranscript|><|notimestamps|>`...`<|endoftext|>`).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var output: [Int] = []
        output.reserveCapacity(text.utf8.count / 3 + 8)
        if addSpecialTokens { output.append(contentsOf: prefixIDs) }
        let scalars = Array(text.unicodeScalars)
        scalars.withUnsafeBufferPointer { buffer in
            var segmentStart = 0
            var index = 0
            if !matcher.isEmpty {
                while index < buffer.count {
                    if let found = matcher.match(buffer, at: index) {
                        encodeSegment(buffer, ScalarRange(start: segmentStart, end: index), into: &output)
                        output.append(found.id)
                        index += found.length
                        segmentStart = index
                    } else {
                        index += 1
                    }
                }
            }
            encodeSegment(buffer, ScalarRange(start: segmentStart, end: buffer.count), into: &output)
        }
        if addSpecialTokens { output.append(contentsOf: suffixIDs) }
        return output
    }

    private func encodeSegment(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ range: ScalarRange, into output: inout [Int]) {
        guard range.end > range.start else { return }
        if addPrefixSpace && text[range.start] != " " {
            var spaced: [Unicode.Scalar] = [" "]
            spaced.append(contentsOf: text[range.start..<range.end])
            spaced.withUnsafeBufferPointer { buffer in
                encodePieces(buffer, ScalarRange(start: 0, end: buffer.count), into: &output)
            }
        } else {
            encodePieces(text, range, into: &output)
        }
    }

    private func encodePieces(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ range: ScalarRange, into output: inout [Int]) {
        var pieces: [ScalarRange] = []
        PreTokenizerScanner.split(text, range, steps: preTokenizer[...], into: &pieces)
        // One UTF-8 buffer reused for every word; words of up to 15 bytes become small Strings
        // (no allocation) for the word cache.
        var utf8: [UInt8] = []
        utf8.reserveCapacity(64)
        for piece in pieces {
            utf8.removeAll(keepingCapacity: true)
            for index in piece.start..<piece.end { Self.appendUTF8(text[index], to: &utf8) }
            utf8.withUnsafeBufferPointer { model.encodeWord($0, into: &output) }
        }
    }

    @inline(__always)
    static func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        let v = scalar.value
        if v < 0x80 {
            bytes.append(UInt8(v))
        } else if v < 0x800 {
            bytes.append(UInt8(0xC0 | v >> 6)); bytes.append(UInt8(0x80 | v & 0x3F))
        } else if v < 0x10000 {
            bytes.append(UInt8(0xE0 | v >> 12)); bytes.append(UInt8(0x80 | v >> 6 & 0x3F)); bytes.append(UInt8(0x80 | v & 0x3F))
        } else {
            bytes.append(UInt8(0xF0 | v >> 18)); bytes.append(UInt8(0x80 | v >> 12 & 0x3F))
            bytes.append(UInt8(0x80 | v >> 6 & 0x3F)); bytes.append(UInt8(0x80 | v & 0x3F))
        }
    }

    /// Text for `ids`: the bytes of all tokens joined, then read as UTF-8 with invalid sequences
    /// replaced by U+FFFD (as tokenizers' ByteLevel decoder's `from_utf8_lossy`).
    /// Throws for ids outside the vocabulary.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        try appendBytes(ids, skipSpecialTokens: skipSpecialTokens, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    func appendBytes(_ ids: [Int], skipSpecialTokens: Bool, to bytes: inout [UInt8]) throws {
        for id in ids {
            guard id >= 0, id < vocabularySize else {
                throw TokenizerError(.idOutOfRange, source: source,
                                     "token id \(id) is outside the vocabulary (0..<\(vocabularySize)); the ids do not come from this tokenizer's model")
            }
            if skipSpecialTokens && isSpecial(id) { continue }
            bytes.append(contentsOf: tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]])
        }
    }
}
