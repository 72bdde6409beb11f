import Foundation

/// openai-whisper's `MaximumLikelihoodRanker` (whisper/decoding.py): picks the candidate with the best
/// sum log-probability divided by a length penalty. With no penalty the divisor is the length; with
/// alpha it is ((5 + length) / 6)^alpha, from the Google NMT paper.
public struct MaximumLikelihoodRanker: Sendable, Equatable {
    public let lengthPenalty: Double?

    public init(lengthPenalty: Double? = nil) { self.lengthPenalty = lengthPenalty }

    /// Index of the best candidate (the first on ties, as np.argmax); nil when there are none or the
    /// two arrays differ in length.
    /// A zero length counts as 1: whisper divides by zero there and raises, which an empty transcript
    /// (EOT first) should not do.
    public func select(lengths: [Int], sumLogProbs: [Float]) -> Int? {
        guard lengths.count == sumLogProbs.count else { return nil }
        var best: Int?
        var bestScore = -Double.infinity
        for (i, length) in lengths.enumerated() {
            let penalty: Double
            if let alpha = lengthPenalty {
                penalty = Foundation.pow((5 + Double(length)) / 6, alpha)
            } else {
                penalty = Double(max(length, 1))
            }
            let score = Double(sumLogProbs[i]) / penalty
            if best == nil || score > bestScore {
                best = i
                bestScore = score
            }
        }
        return best
    }

    /// Ranks `BeamSearchDecoder.finalize` output the way whisper's DecodingTask does: each sequence's
    /// length counts the tokens from `sampleBegin` up to (not including) its first EOT.
    public func select(candidates: [BeamCandidate], sampleBegin: Int, eot: Int) -> Int? {
        let lengths = candidates.map { candidate in
            let end = candidate.tokens.firstIndex(of: eot) ?? candidate.tokens.count
            return max(end - sampleBegin, 0)
        }
        return select(lengths: lengths, sumLogProbs: candidates.map(\.sumLogProb))
    }
}
