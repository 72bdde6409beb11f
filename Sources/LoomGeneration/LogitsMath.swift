import Foundation

/// Row-wise helpers over a logits vector, written to agree with torch's float32 results
/// (`torch.softmax`, `torch.log_softmax`, `torch.argmax`) to within a few ulps.
public enum LogitsMath {
    /// Index of the largest value; the lowest index wins ties, as `torch.argmax` does. -inf entries
    /// lose to any finite value. Returns nil for an empty row.
    public static func argmax(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { v -> Int? in
            guard !v.isEmpty else { return nil }
            var best = 0
            var bestValue = v[0]
            for i in 1..<v.count where v[i] > bestValue {
                best = i
                bestValue = v[i]
            }
            return best
        }
    }

    /// Probabilities exp(x - max) / sum. -inf entries get probability 0. The sum is accumulated in
    /// Double so the result does not depend on summation order more than float32 rounding does.
    public static func softmax(_ logits: [Float]) -> [Float] {
        guard let top = logits.max(), top.isFinite else { return [Float](repeating: .nan, count: logits.count) }
        var out = [Float](repeating: 0, count: logits.count)
        var sum = 0.0
        logits.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<x.count {
                    let e = Foundation.exp(x[i] - top)
                    o[i] = e
                    sum += Double(e)
                }
                let scale = Float(1.0 / sum)
                for i in 0..<o.count { o[i] *= scale }
            }
        }
        return out
    }

    /// log_softmax: x - max - log(sum(exp(x - max))), as torch computes it; -inf stays -inf.
    public static func logSoftmax(_ logits: [Float]) -> [Float] {
        guard let top = logits.max(), top.isFinite else { return [Float](repeating: .nan, count: logits.count) }
        var sum = 0.0
        logits.withUnsafeBufferPointer { x in
            for i in 0..<x.count { sum += Double(Foundation.exp(x[i] - top)) }
        }
        let logSum = Float(Foundation.log(sum))
        var out = [Float](repeating: 0, count: logits.count)
        logits.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<x.count { o[i] = (x[i] - top) - logSum }
            }
        }
        return out
    }

    /// Checks a row a model produced: not empty, no NaN or +inf, at least one token not masked.
    public static func validate(_ logits: [Float]) throws(GenerationError) {
        if logits.isEmpty { throw .emptyLogits }
        var anyFinite = false
        for (i, v) in logits.enumerated() {
            if v.isNaN || v == .infinity { throw .nonFiniteLogit(index: i, value: v) }
            if v.isFinite { anyFinite = true }
        }
        if !anyFinite { throw .allTokensMasked }
    }
}
