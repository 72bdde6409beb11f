import Foundation

/// The BPE model: a vocabulary of byte-level strings and ranked merges, applied within one word.
/// Merging follows GPT-2's `bpe()` (openai/gpt-2 src/encoder.py): repeatedly merge every
/// occurrence of the adjacent pair with the lowest rank, left to right, until no pair has a rank.
/// Reference for the tokenizer.json semantics: tokenizers/src/models/bpe/model.rs.
public final class BPEModel: Sendable {
    /// Byte-level spelling of every id (index = id); ids the vocabulary skips hold "".
    public let tokens: [String]
    public let ids: [String: Int]
    /// `pairKey(left, right)` -> (rank, merged id).
    private let merges: [UInt64: Merge]
    /// Id of each byte's single-character token, -1 when the vocabulary lacks it.
    private let byteIDs: [Int32]
    /// With an end-of-word suffix (CLIP's "</w>"): the id of each byte's character plus the suffix, which
    /// spells a word's last symbol; -1 when the vocabulary lacks it.
    private let wordEndByteIDs: [Int32]?
    private let cache = WordCache()

    struct Merge: Sendable {
        let rank: Int32
        let merged: Int32
    }

    /// - Parameters:
    ///   - vocabulary: byte-level token -> id.
    ///   - merges: pairs of byte-level tokens, best first.
    ///   - endOfWordSuffix: tokenizer.json's `end_of_word_suffix` (CLIP: "</w>"), appended to every word's
    ///     last symbol before merging; nil for GPT-2 style vocabularies.
    ///   - source: the file, for error messages.
    public init(vocabulary: [String: Int], merges pairs: [(String, String)], endOfWordSuffix: String? = nil, source: String) throws {
        let count = (vocabulary.values.max() ?? -1) + 1
        // Ids are dense in real vocabularies; a stray huge id would make the id table enormous.
        guard count <= 2 * vocabulary.count + 1024 else {
            throw TokenizerError(.malformed, source: source, "token id \(count - 1) is far beyond the vocabulary's \(vocabulary.count) tokens")
        }
        var tokens = [String](repeating: "", count: count)
        for (token, id) in vocabulary {
            guard id >= 0 else { throw TokenizerError(.malformed, source: source, "token '\(token)' has negative id \(id)") }
            tokens[id] = token
        }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (left, right)) in pairs.enumerated() {
            guard let a = vocabulary[left], let b = vocabulary[right] else {
                throw TokenizerError(.malformed, source: source,
                                     "merge \(rank) ('\(left)' '\(right)') uses a token missing from the vocabulary")
            }
            guard let merged = vocabulary[left + right] else {
                throw TokenizerError(.malformed, source: source,
                                     "merge \(rank) ('\(left)' '\(right)') makes '\(left + right)', which is not in the vocabulary")
            }
            let key = Self.pairKey(Int32(a), Int32(b))
            // The first (best) rank of a repeated merge wins, as in tokenizers' BPE builder.
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), merged: Int32(merged)) }
        }
        self.tokens = tokens
        self.ids = vocabulary
        self.merges = table
        self.byteIDs = ByteLevel.characters.map { vocabulary[String($0)].map(Int32.init) ?? -1 }
        self.wordEndByteIDs = endOfWordSuffix.map { suffix in
            ByteLevel.characters.map { vocabulary[String($0) + suffix].map(Int32.init) ?? -1 }
        }
    }

    public var vocabularySize: Int { tokens.count }

    @inline(__always)
    static func pairKey(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// Appends the ids of one pre-tokenized word (its UTF-8 bytes) to `output`.
    /// Bytes whose single-character token is missing are dropped, as tokenizers does without an unk token.
    func encodeWord(_ utf8: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        let word = WordKey(String(decoding: utf8, as: UTF8.self))
        if let cached = cache.lookup(word) {
            output.append(contentsOf: cached)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(utf8.count)
        for byte in utf8 {
            let id = byteIDs[Int(byte)]
            if id >= 0 { symbols.append(id) }
        }
        if let wordEndByteIDs, let last = utf8.last, byteIDs[Int(last)] >= 0 {
            // The last byte's symbol was appended above; it is spelled with the suffix instead.
            let id = wordEndByteIDs[Int(last)]
            if id >= 0 { symbols[symbols.count - 1] = id } else { symbols.removeLast() }
        }
        merge(&symbols)
        let result = symbols.map(Int.init)
        cache.store(word, result)
        output.append(contentsOf: result)
    }

    private func merge(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var bestRank = Int32.max
            var best: Merge? = nil
            var bestLeft: Int32 = 0, bestRight: Int32 = 0
            for i in 0..<(symbols.count - 1) {
                if let m = merges[Self.pairKey(symbols[i], symbols[i + 1])], m.rank < bestRank {
                    bestRank = m.rank
                    best = m
                    bestLeft = symbols[i]
                    bestRight = symbols[i + 1]
                }
            }
            guard let chosen = best else { return }
            var write = 0
            var read = 0
            while read < symbols.count {
                if read + 1 < symbols.count && symbols[read] == bestLeft && symbols[read + 1] == bestRight {
                    symbols[write] = chosen.merged
                    read += 2
                } else {
                    symbols[write] = symbols[read]
                    read += 1
                }
                write += 1
            }
            symbols.removeLast(symbols.count - write)
        }
    }
}

/// A word compared byte for byte. Swift's String equality is canonical equivalence, under which
/// ";" (U+003B) equals the Greek question mark U+037E: as a dictionary key a String would hand one
/// word the other's ids.
struct WordKey: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: WordKey, b: WordKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Word -> ids memo shared by all callers of one tokenizer. Natural text repeats a small set of
/// words, so this makes BPE's quadratic merge loop run once per distinct word.
final class WordCache: @unchecked Sendable {
    private var entries: [WordKey: [Int]] = [:]
    private let lock = NSLock()
    /// Bounds memory on adversarial input (every word distinct); the memo restarts when full.
    private let capacity = 200_000

    func lookup(_ word: WordKey) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func store(_ word: WordKey, _ ids: [Int]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[word] = ids
    }
}
