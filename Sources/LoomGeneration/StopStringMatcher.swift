/// Finds stop strings in streamed text without ever showing part of one.
///
/// Text arrives in pieces (from an incremental detokenizer). Any tail of the text that could still grow
/// into a stop string is held back; it is released once it can no longer match, or by `finish()`. When a
/// stop string completes, the text before it is released and the stop string itself and everything
/// after it are dropped (as llama.cpp's server and the OpenAI API do; transformers' StopStringCriteria
/// keeps it in the ids, and so does Loom: only the text omits it).
///
/// Matching is on Unicode scalars, so "\r" followed by a "\n" stop string matches even though Swift
/// would see "\r\n" as one Character.
public struct StopStringMatcher: Sendable {
    public let stopStrings: [String]
    private let patterns: [[Unicode.Scalar]]
    private var pending: [Unicode.Scalar] = []
    public private(set) var matched: String?

    public init(stopStrings: [String]) throws(GenerationError) {
        if stopStrings.contains(where: \.isEmpty) { throw .emptyStopString }
        self.stopStrings = stopStrings
        self.patterns = stopStrings.map { Array($0.unicodeScalars) }
    }

    /// Adds a piece of text. Returns the text that is now safe to show, and whether a stop string
    /// completed (after which further pieces are ignored).
    public mutating func append(_ piece: String) -> (text: String, stop: Bool) {
        guard matched == nil else { return ("", true) }
        pending.append(contentsOf: piece.unicodeScalars)
        // The earliest complete stop string wins (ties: the first listed).
        var earliest: (start: Int, pattern: Int)?
        for (p, pattern) in patterns.enumerated() {
            if let start = firstOccurrence(of: pattern), start < (earliest?.start ?? .max) {
                earliest = (start, p)
            }
        }
        if let (start, p) = earliest {
            let text = string(pending[..<start])
            pending.removeAll()
            matched = stopStrings[p]
            return (text, true)
        }
        let held = heldTailStart()
        let text = string(pending[..<held])
        pending.removeFirst(held)
        return (text, false)
    }

    /// Releases held text at the end of generation (no stop string completed).
    public mutating func finish() -> String {
        let text = string(pending[...])
        pending.removeAll()
        return text
    }

    private func firstOccurrence(of pattern: [Unicode.Scalar]) -> Int? {
        guard pattern.count <= pending.count else { return nil }
        for start in 0...(pending.count - pattern.count) {
            var hit = true
            for j in 0..<pattern.count where pending[start + j] != pattern[j] {
                hit = false
                break
            }
            if hit { return start }
        }
        return nil
    }

    /// Where the longest tail of `pending` that is a proper prefix of some stop string begins
    /// (`pending.count` when no tail can grow into a stop string).
    private func heldTailStart() -> Int {
        for start in 0..<pending.count {
            let tail = pending[start...]
            for pattern in patterns where tail.count < pattern.count && pattern.starts(with: tail) {
                return start
            }
        }
        return pending.count
    }

    private func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
