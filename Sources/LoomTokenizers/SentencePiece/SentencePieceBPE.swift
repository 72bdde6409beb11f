/// BPE segmentation as sentencepiece does it: start from characters (user-defined pieces whole and frozen),
/// repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece (ties: leftmost),
/// then split any unused piece back into the pieces it was merged from.
///
/// Reference: sentencepiece src/bpe_model.cc (Model::SampleEncode without dropout).
struct SentencePieceBPE: Sendable {
    let trie: PieceTrie
    let scores: [Float]
    let types: [SentencePieceModelProto.PieceType]
    let unknownID: Int
    /// User-defined pieces: whole, frozen symbols from the start.
    let userDefined: PieceTrie

    private struct Symbol {
        var start: Int
        var end: Int
        var previous: Int
        var next: Int
        var frozen: Bool
    }

    private struct Candidate {
        var score: Float
        var left: Int
        var right: Int
        var size: Int

        /// Comes out of the queue before `other`: higher score, then the leftmost.
        func precedes(_ other: Candidate) -> Bool {
            score > other.score || (score == other.score && left < other.left)
        }
    }

    /// (byte range, id) of each piece of a normalized text; ranges no piece spells get the unknown id.
    func encode(_ text: UnsafeBufferPointer<UInt8>) -> [(range: Range<Int>, id: Int)] {
        var symbols: [Symbol] = []
        var position = 0
        while position < text.count {
            var length = userDefined.longestPrefixLength(text, from: position)
            let frozen = length > 0
            if !frozen { length = min(SentencePieceNormalizer.utf8Length(leadingByte: text[position]), text.count - position) }
            let index = symbols.count
            symbols.append(Symbol(start: position, end: position + length, previous: index - 1,
                                  next: position + length < text.count ? index + 1 : -1, frozen: frozen))
            position += length
        }
        guard !symbols.isEmpty else { return [] }
        var queue = CandidateQueue()
        // Pieces of unused ids, to split back: merged byte range -> its two parts.
        var splits: [Range<Int>: (Range<Int>, Range<Int>)] = [:]

        func addPair(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0, !symbols[left].frozen, !symbols[right].frozen else { return }
            let range = symbols[left].start..<symbols[right].end
            guard let id = trie.id(text, range) else { return }
            if types[id] == .unused {
                splits[range] = (symbols[left].start..<symbols[left].end, symbols[right].start..<symbols[right].end)
            }
            queue.push(Candidate(score: scores[id], left: left, right: right, size: range.count))
        }
        for i in 1..<symbols.count { addPair(i - 1, i) }
        while let top = queue.pop() {
            let left = symbols[top.left]
            let right = symbols[top.right]
            // Stale: one side was merged away or grew since this pair was queued.
            guard left.end > left.start, right.end > right.start,
                  (left.end - left.start) + (right.end - right.start) == top.size, left.end == right.start else { continue }
            symbols[top.left].end = right.end
            symbols[top.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = top.left }
            symbols[top.right].end = symbols[top.right].start
            addPair(symbols[top.left].previous, top.left)
            addPair(top.left, symbols[top.left].next)
        }
        var result: [(range: Range<Int>, id: Int)] = []
        func resegment(_ range: Range<Int>) {
            let id = trie.id(text, range)
            if let id, types[id] == .unused, let parts = splits[range] {
                resegment(parts.0)
                resegment(parts.1)
            } else {
                result.append((range, id ?? unknownID))
            }
        }
        var index = 0
        while index >= 0 {
            resegment(symbols[index].start..<symbols[index].end)
            index = symbols[index].next
        }
        return result
    }

    /// A binary max-heap of merge candidates.
    private struct CandidateQueue {
        private var heap: [Candidate] = []

        mutating func push(_ candidate: Candidate) {
            heap.append(candidate)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].precedes(heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> Candidate? {
            guard let first = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    let right = left + 1
                    var best = parent
                    if left < heap.count, heap[left].precedes(heap[best]) { best = left }
                    if right < heap.count, heap[right].precedes(heap[best]) { best = right }
                    if best == parent { break }
                    heap.swapAt(parent, best)
                    parent = best
                }
            }
            return first
        }
    }
}
