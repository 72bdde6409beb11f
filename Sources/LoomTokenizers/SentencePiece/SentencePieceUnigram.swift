/// Unigram segmentation: the best-scoring path through the lattice of pieces (Viterbi), one forward pass
/// keeping the best path ending at each byte. A character no piece starts with becomes the unknown piece
/// with score min_score - 10; user-defined pieces score length * max_score - 0.1 so they always win;
/// unused pieces are never chosen. Scores add up in Float, ties keep the earlier (shorter) candidate.
///
/// Reference: sentencepiece src/unigram_model.cc (Model::EncodeOptimized, kUnkPenalty).
struct SentencePieceUnigram: Sendable {
    let trie: PieceTrie
    let scores: [Float]
    let types: [SentencePieceModelProto.PieceType]
    let unknownID: Int
    let minScore: Float
    let maxScore: Float

    init(pieces: [SentencePieceModelProto.Piece], trie: PieceTrie, unknownID: Int) {
        self.trie = trie
        self.unknownID = unknownID
        scores = pieces.map(\.score)
        types = pieces.map(\.type)
        var low = Float.greatestFiniteMagnitude
        var high = Float.leastNormalMagnitude  // FLT_MIN, as sentencepiece starts max_score_ there
        for piece in pieces where piece.type == .normal {
            low = min(low, piece.score)
            high = max(high, piece.score)
        }
        minScore = low
        maxScore = high
    }

    /// (byte range, id) of each piece of the best segmentation of a normalized text.
    func encode(_ text: UnsafeBufferPointer<UInt8>) -> [(range: Range<Int>, id: Int)] {
        let size = text.count
        guard size > 0 else { return [] }
        let unknownScore = minScore - 10
        // best[i]: best path covering text[0..<i]; startsAt -1 means not reached yet.
        var bestScore = [Float](repeating: 0, count: size + 1)
        var bestStart = [Int](repeating: -1, count: size + 1)
        var bestID = [Int](repeating: -1, count: size + 1)
        var start = 0
        while start < size {
            let scoreHere = bestScore[start]
            let characterLength = min(SentencePieceNormalizer.utf8Length(leadingByte: text[start]), size - start)
            var hasSingleCharacter = false
            trie.forEachPrefix(text, from: start) { id, end in
                let type = types[id]
                if type == .unused { return }
                let length = end - start
                let score = type == .userDefined ? Float(length) * maxScore - 0.1 : scores[id]
                let candidate = score + scoreHere
                if bestStart[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = id
                }
                if length == characterLength { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                let end = start + characterLength
                let candidate = unknownScore + scoreHere
                if bestStart[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = unknownID
                }
            }
            start += characterLength
        }
        var result: [(range: Range<Int>, id: Int)] = []
        var end = size
        while end > 0 {
            let from = bestStart[end]
            guard from >= 0, from < end else { break }  // unreachable for valid UTF-8; guards stray bytes
            result.append((from..<end, bestID[end]))
            end = from
        }
        return result.reversed()
    }
}
