/// The warpers that cut the tail of the distribution: top-k, top-p (nucleus) and min-p, following
/// transformers/generation/logits_process.py (TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper)
/// with min_tokens_to_keep = 1. Removed tokens get -inf.

/// `TopKLogitsWarper`: keeps tokens whose logit is >= the k-th largest logit. Ties with the k-th value
/// are all kept (transformers compares against the value, not the rank), so more than k can survive.
public struct TopKProcessor: LogitsProcessor {
    public let k: Int

    /// - Parameter k: tokens to keep, at least 1 (the sampler treats 0 as "off" and skips this warper).
    public init(k: Int) throws(GenerationError) {
        guard k > 0 else { throw .invalidTopK(k) }
        self.k = k
    }

    public func process(_ logits: inout [Float], history: [Int]) {
        let kept = min(k, logits.count)
        guard kept > 0, kept < logits.count else { return }
        let threshold = Self.kthLargest(logits, kept)
        logits.withUnsafeMutableBufferPointer { x in
            for i in 0..<x.count where x[i] < threshold { x[i] = -.infinity }
        }
    }

    /// The k-th largest value (duplicates counted). Keeps the best k seen in a descending array, so a
    /// 49k-token vocabulary with k = 40 costs one pass instead of a full sort per token.
    static func kthLargest(_ values: [Float], _ k: Int) -> Float {
        if k * 8 > values.count { return values.sorted(by: >)[k - 1] }
        var best: [Float] = []
        best.reserveCapacity(k + 1)
        values.withUnsafeBufferPointer { v in
            for value in v where best.count < k || value > best[k - 1] {
                // Binary search for the first slot holding a smaller value.
                var low = 0, high = best.count
                while low < high {
                    let mid = (low + high) / 2
                    if best[mid] >= value { low = mid + 1 } else { high = mid }
                }
                best.insert(value, at: low)
                if best.count > k { best.removeLast() }
            }
        }
        return best[k - 1]
    }
}

/// `TopPLogitsWarper`: sorts logits ascending, takes the cumulative softmax, and removes every token
/// whose cumulative probability is <= 1 - p; the most likely token is always kept. This is the
/// complement of "smallest set of top tokens whose mass reaches p" and matches transformers exactly
/// at the boundary.
public struct TopPProcessor: LogitsProcessor {
    public let p: Float

    /// - Parameter p: probability mass to keep, in (0, 1]; 1 keeps every token with non-zero probability.
    public init(p: Float) throws(GenerationError) {
        guard p > 0, p <= 1 else { throw .invalidTopP(p) }
        self.p = p
    }

    public func process(_ logits: inout [Float], history: [Int]) {
        // Only finite logits take part: -inf ones sort first with probability 0, add nothing to the
        // cumulative sum and would be "removed" to -inf again, so skipping them changes nothing and
        // makes top-p after top-k sort k entries instead of the whole vocabulary.
        var ranked: [(logit: Float, index: Int)] = []
        for (i, v) in logits.enumerated() where v > -.infinity { ranked.append((v, i)) }
        guard ranked.count > 1 else { return }
        // Ascending by logit; equal logits in index order (torch.sort is not stable either, and equal
        // logits have equal probability, so only exact boundary ties could differ).
        ranked.sort { $0.logit < $1.logit || ($0.logit == $1.logit && $0.index < $1.index) }
        let probs = LogitsMath.softmax(ranked.map(\.logit))
        let cut = Float(1 - Double(p))
        // torch.cumsum accumulates float32 in double on the CPU.
        var cumulative = 0.0
        for rank in 0..<(ranked.count - 1) {  // the last (largest) token is always kept
            cumulative += Double(probs[rank])
            if Float(cumulative) <= cut { logits[ranked[rank].index] = -.infinity }
        }
    }
}

/// `MinPLogitsWarper`: removes tokens whose probability is below min-p times the top token's
/// probability; the most likely token is always kept.
public struct MinPProcessor: LogitsProcessor {
    public let minP: Float

    /// - Parameter minP: in [0, 1]; 0 keeps everything, 1 keeps only tokens tied with the top one.
    public init(minP: Float) throws(GenerationError) {
        guard minP >= 0, minP <= 1 else { throw .invalidMinP(minP) }
        self.minP = minP
    }

    public func process(_ logits: inout [Float], history: [Int]) {
        let probs = LogitsMath.softmax(logits)
        guard let top = probs.max(), let best = LogitsMath.argmax(probs) else { return }
        let threshold = minP * top
        logits.withUnsafeMutableBufferPointer { x in
            for i in 0..<x.count where probs[i] < threshold && i != best { x[i] = -.infinity }
        }
    }
}
