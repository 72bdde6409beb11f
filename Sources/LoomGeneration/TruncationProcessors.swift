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
        let threshold = logits.sorted(by: >)[kept - 1]
        logits.withUnsafeMutableBufferPointer { x in
            for i in 0..<x.count where x[i] < threshold { x[i] = -.infinity }
        }
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
        let count = logits.count
        guard count > 1 else { return }
        // Ascending by logit; equal logits in index order (torch.sort is not stable either, and equal
        // logits have equal probability, so only exact boundary ties could differ).
        let order = logits.indices.sorted { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        let probs = LogitsMath.softmax(order.map { logits[$0] })
        let cut = Float(1 - Double(p))
        // torch.cumsum accumulates float32 in double on the CPU.
        var cumulative = 0.0
        var remove = [Bool](repeating: false, count: count)
        for rank in 0..<(count - 1) {  // the last (largest) token is always kept
            cumulative += Double(probs[rank])
            if Float(cumulative) <= cut { remove[order[rank]] = true }
        }
        logits.withUnsafeMutableBufferPointer { x in
            for i in 0..<count where remove[i] { x[i] = -.infinity }
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
