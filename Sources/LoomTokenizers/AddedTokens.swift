/// A token matched whole in the text before pre-tokenization (`<|im_start|>`, `<|endoftext|>`).
public struct AddedToken: Sendable, Equatable {
    public let content: String
    public let id: Int
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
    public let special: Bool
}

/// Finds added tokens in text by exact match, leftmost first and longest at a position, as
/// tokenizers' AddedVocabulary does with its leftmost-longest Aho-Corasick automaton
/// (tokenizers/src/tokenizer/added_vocabulary.rs).
struct AddedTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        let scalars: [Unicode.Scalar]
        let id: Int
    }

    /// Candidates by first scalar, longest first.
    private let byFirstScalar: [Unicode.Scalar: [Candidate]]
    /// ASCII characters that start some added token: most text is rejected without hashing.
    private let asciiStarts: [Bool]

    init(_ tokens: [AddedToken]) {
        var table: [Unicode.Scalar: [Candidate]] = [:]
        for token in tokens {
            let scalars = Array(token.content.unicodeScalars)
            guard let first = scalars.first else { continue }
            table[first, default: []].append(Candidate(scalars: scalars, id: token.id))
        }
        byFirstScalar = table.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
        asciiStarts = (0..<128).map { table[Unicode.Scalar(UInt8($0))] != nil }
    }

    var isEmpty: Bool { byFirstScalar.isEmpty }

    /// The added token starting at `index`, as (id, length in scalars).
    @inline(__always)
    func match(_ text: UnsafeBufferPointer<Unicode.Scalar>, at index: Int) -> (id: Int, length: Int)? {
        let first = text[index]
        if first.value < 128 && !asciiStarts[Int(first.value)] { return nil }
        guard let candidates = byFirstScalar[first] else { return nil }
        for candidate in candidates {
            let length = candidate.scalars.count
            guard index + length <= text.count else { continue }
            var equal = true
            for k in 1..<length where text[index + k] != candidate.scalars[k] {
                equal = false
                break
            }
            if equal { return (candidate.id, length) }
        }
        return nil
    }
}
