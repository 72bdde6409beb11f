/// A byte trie over the pieces' UTF-8 spellings, for "every piece that starts here" (unigram lattice) and
/// "is this byte range a piece" (BPE merges) without building strings.
struct PieceTrie: Sendable {
    /// Children of node `n`: `edges[edgeStart[n]..<edgeStart[n + 1]]`, sorted by byte.
    private let edgeStart: [Int32]
    private let edgeByte: [UInt8]
    private let edgeTarget: [Int32]
    /// The piece id ending at each node, -1 for none.
    private let pieceID: [Int32]

    init(_ entries: [(bytes: [UInt8], id: Int)]) {
        var children: [[UInt8: Int32]] = [[:]]
        var ids: [Int32] = [-1]
        for (bytes, id) in entries {
            var node = 0
            for byte in bytes {
                if let next = children[node][byte] {
                    node = Int(next)
                } else {
                    children.append([:])
                    ids.append(-1)
                    children[node][byte] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            if ids[node] < 0 { ids[node] = Int32(id) }  // the first piece of a spelling wins, as sentencepiece's map
        }
        var start: [Int32] = [0]
        var byte: [UInt8] = []
        var target: [Int32] = []
        for node in children {
            for (key, value) in node.sorted(by: { $0.key < $1.key }) {
                byte.append(key)
                target.append(value)
            }
            start.append(Int32(byte.count))
        }
        edgeStart = start
        edgeByte = byte
        edgeTarget = target
        pieceID = ids
    }

    @inline(__always) private func child(_ node: Int, _ byte: UInt8) -> Int? {
        var low = Int(edgeStart[node])
        var high = Int(edgeStart[node + 1])
        while low < high {
            let middle = (low + high) / 2
            let b = edgeByte[middle]
            if b == byte { return Int(edgeTarget[middle]) }
            if b < byte { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// Calls `body(id, end)` for every piece spelled by `text[start..<end]`, shortest first.
    @inline(__always) func forEachPrefix(_ text: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int, Int) -> Void) {
        var node = 0
        var i = start
        while i < text.count, let next = child(node, text[i]) {
            node = next
            i += 1
            if pieceID[node] >= 0 { body(Int(pieceID[node]), i) }
        }
    }

    /// Bytes in the longest piece that starts at `start`, 0 when none does.
    func longestPrefixLength(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var longest = 0
        forEachPrefix(text, from: start) { _, end in longest = end - start }
        return longest
    }

    /// The piece spelled exactly by `text[range]`, nil when none.
    func id(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var node = 0
        for i in range {
            guard let next = child(node, text[i]) else { return nil }
            node = next
        }
        return pieceID[node] >= 0 ? Int(pieceID[node]) : nil
    }
}
