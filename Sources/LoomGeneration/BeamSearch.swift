import Foundation

/// A token sequence with its cumulative log-probability, as beam search keeps them.
public struct BeamCandidate: Sendable, Equatable {
    public var tokens: [Int]
    public var sumLogProb: Float

    public init(tokens: [Int], sumLogProb: Float) {
        self.tokens = tokens
        self.sumLogProb = sumLogProb
    }
}

/// What one beam-search step decided.
public struct BeamSearchStep: Sendable, Equatable {
    /// The `beamSize` unfinished sequences to feed back (each one token longer than before).
    public var tokens: [[Int]]
    public var sumLogProbs: [Float]
    /// For each new row, the input row it extends: reorder the KV cache rows by these.
    public var sourceIndices: [Int]
    /// True once enough sequences have finished (beam size x patience).
    public var completed: Bool
}

/// Beam search for one audio window, as openai-whisper's `BeamSearchDecoder` (whisper/decoding.py,
/// https://github.com/openai/whisper/blob/main/whisper/decoding.py) does it: every beam proposes its
/// top (beamSize + 1) tokens by cumulative log-probability; candidates are ranked, the best `beamSize`
/// that do not end in EOT continue, the ones ending in EOT are collected until beamSize x patience have
/// finished. Scores are float32 sums, as whisper keeps them in a float32 tensor.
///
/// Whisper batches several audio windows in one call; here one value handles one window, so a batched
/// decoder keeps one per window and offsets `sourceIndices` by window x beamSize.
public struct BeamSearchDecoder: Sendable {
    public let beamSize: Int
    public let eot: Int
    public let patience: Double
    /// round(beamSize x patience), with Python's round-half-to-even.
    public let maxCandidates: Int
    /// Sequences that ended in EOT, in the order whisper's dict holds them.
    public private(set) var finished: [BeamCandidate] = []

    /// - Parameter patience: nil (or 0, as whisper's `patience or 1.0`) means 1.0.
    public init(beamSize: Int, eot: Int, patience: Double? = nil) throws(GenerationError) {
        guard beamSize >= 1 else { throw .invalidBeamSize(beamSize) }
        let factor = (patience ?? 0) == 0 ? 1.0 : patience!
        let candidates = (Double(beamSize) * factor).rounded(.toNearestOrEven)
        guard factor.isFinite, candidates >= 1 else { throw .invalidPatience(factor) }
        self.beamSize = beamSize
        self.eot = eot
        self.patience = factor
        self.maxCandidates = Int(candidates)
    }

    public mutating func reset() { finished = [] }

    /// One step. `tokens` are the current beams (all the same length), `logits` the model's next-token
    /// logits per beam (after any logit filters), `sumLogProbs` the beams' cumulative scores.
    public mutating func update(
        tokens: [[Int]], logits: [[Float]], sumLogProbs: [Float]
    ) throws(GenerationError) -> BeamSearchStep {
        guard tokens.count == beamSize, logits.count == beamSize, sumLogProbs.count == beamSize else {
            throw .batchShapeMismatch(
                "expected \(beamSize) beams, got \(tokens.count) token rows, \(logits.count) logits rows and \(sumLogProbs.count) scores")
        }
        // STEP 1: candidates keyed by sequence; a sequence proposed by two beams (identical prefixes,
        // e.g. at the first step) keeps its first position but takes the later beam's score and source,
        // as assigning into a Python dict does.
        var candidates = OrderedScores()
        for (beam, row) in logits.enumerated() {
            try LogitsMath.validate(row)
            let logProbs = LogitsMath.logSoftmax(row)
            for token in Self.topIndices(logProbs, count: beamSize + 1) {
                candidates.set(tokens[beam] + [token], score: sumLogProbs[beam] + logProbs[token], source: beam)
            }
        }
        // STEP 2: best first (stable), keep beamSize unfinished; finished ones ranked above the last kept.
        var next = BeamSearchStep(tokens: [], sumLogProbs: [], sourceIndices: [], completed: false)
        var newlyFinished = OrderedScores()
        for i in candidates.rankedIndices() {
            let entry = candidates.entries[i]
            if entry.tokens.last == eot {
                newlyFinished.set(entry.tokens, score: entry.score, source: entry.source)
            } else {
                next.tokens.append(entry.tokens)
                next.sumLogProbs.append(entry.score)
                next.sourceIndices.append(entry.source)
                if next.tokens.count == beamSize { break }
            }
        }
        for i in newlyFinished.rankedIndices() {
            if finished.count >= maxCandidates { break }
            let entry = newlyFinished.entries[i]
            if let existing = finished.firstIndex(where: { $0.tokens == entry.tokens }) {
                finished[existing].sumLogProb = entry.score
            } else {
                finished.append(BeamCandidate(tokens: entry.tokens, sumLogProb: entry.score))
            }
        }
        next.completed = finished.count >= maxCandidates
        return next
    }

    /// The finished sequences, topped up with the best unfinished beams (EOT appended) when fewer than
    /// beamSize finished, as whisper's `finalize`.
    public func finalize(tokens: [[Int]], sumLogProbs: [Float]) -> [BeamCandidate] {
        var result = finished
        guard result.count < beamSize else { return result }
        // numpy's argsort (stable for these short rows) reversed: best first, later index first on ties.
        let ascending = sumLogProbs.indices.sorted {
            sumLogProbs[$0] < sumLogProbs[$1] || (sumLogProbs[$0] == sumLogProbs[$1] && $0 < $1)
        }
        for j in ascending.reversed() {
            let sequence = tokens[j] + [eot]
            if let existing = result.firstIndex(where: { $0.tokens == sequence }) {
                result[existing].sumLogProb = sumLogProbs[j]
            } else {
                result.append(BeamCandidate(tokens: sequence, sumLogProb: sumLogProbs[j]))
            }
            if result.count >= beamSize { break }
        }
        return result
    }

    /// Indices of the `count` largest values, largest first; lower index first among equal values.
    static func topIndices(_ values: [Float], count: Int) -> [Int] {
        let k = min(count, values.count)
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in values.indices {
            // Insertion into a short sorted list: k is beamSize + 1, so this beats a full sort.
            var position = best.count
            while position > 0 && values[best[position - 1]] < values[i] { position -= 1 }
            if position < k {
                best.insert(i, at: position)
                if best.count > k { best.removeLast() }
            }
        }
        return best
    }
}

/// Insertion-ordered map from sequence to (score, source), like the Python dicts in whisper's update.
private struct OrderedScores {
    struct Entry {
        var tokens: [Int]
        var score: Float
        var source: Int
    }

    var entries: [Entry] = []
    var positions: [[Int]: Int] = [:]

    mutating func set(_ tokens: [Int], score: Float, source: Int) {
        if let i = positions[tokens] {
            entries[i].score = score
            entries[i].source = source
        } else {
            positions[tokens] = entries.count
            entries.append(Entry(tokens: tokens, score: score, source: source))
        }
    }

    /// Indices by score, best first; insertion order among equal scores (Python's stable sort).
    func rankedIndices() -> [Int] {
        entries.indices.sorted {
            entries[$0].score > entries[$1].score || (entries[$0].score == entries[$1].score && $0 < $1)
        }
    }
}
