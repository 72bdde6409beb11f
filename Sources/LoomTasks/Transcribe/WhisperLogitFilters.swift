import Foundation

/// A rule that masks logits (sets them to -inf) before the next token is chosen; whisper's `LogitFilter`
/// (https://github.com/openai/whisper/blob/main/whisper/decoding.py). Works on one sequence:
/// `tokens` is the whole context so far, initial tokens included.
public protocol WhisperLogitFilter: Sendable {
    func apply(_ logits: inout [Float], tokens: [Int])
}

/// Forbids a blank start: " " and `eot` as the first sampled token (whisper's `SuppressBlank`).
public struct SuppressBlank: WhisperLogitFilter {
    public let suppressed: [Int]
    public let sampleBegin: Int

    public init(specials: WhisperDecodingTokens, sampleBegin: Int) {
        suppressed = specials.blankTokens + [specials.eot]
        self.sampleBegin = sampleBegin
    }

    public func apply(_ logits: inout [Float], tokens: [Int]) {
        guard tokens.count == sampleBegin else { return }
        for t in suppressed where logits.indices.contains(t) { logits[t] = -.infinity }
    }
}

/// Always forbids a fixed token set (whisper's `SuppressTokens`).
public struct SuppressTokens: WhisperLogitFilter {
    public let suppressed: [Int]

    public init(_ suppressed: [Int]) { self.suppressed = suppressed }

    public func apply(_ logits: inout [Float], tokens: [Int]) {
        for t in suppressed where logits.indices.contains(t) { logits[t] = -.infinity }
    }
}

/// Whisper's `ApplyTimestampRules`: timestamps come in pairs (except right before `eot`), never go
/// backwards, the text starts with a timestamp no later than `maxInitialTimestampIndex`, and when the
/// timestamps together are likelier than any single text token, a timestamp must come next.
public struct ApplyTimestampRules: WhisperLogitFilter {
    public let noTimestamps: Int
    public let timestampBegin: Int
    public let eot: Int
    public let sampleBegin: Int
    public let maxInitialTimestampIndex: Int?

    public init(specials: WhisperDecodingTokens, sampleBegin: Int, maxInitialTimestampIndex: Int?) {
        noTimestamps = specials.noTimestamps
        timestampBegin = specials.timestampBegin
        eot = specials.eot
        self.sampleBegin = sampleBegin
        self.maxInitialTimestampIndex = maxInitialTimestampIndex
    }

    public func apply(_ logits: inout [Float], tokens: [Int]) {
        let vocab = logits.count
        let tb = min(timestampBegin, vocab)
        func suppress(_ range: Range<Int>) {
            let clamped = range.clamped(to: 0..<vocab)
            for i in clamped { logits[i] = -.infinity }
        }
        // <|notimestamps|> is what `withoutTimestamps` uses; sampling it here would end timestamp mode.
        if logits.indices.contains(noTimestamps) { logits[noTimestamps] = -.infinity }

        let sampled = tokens.count > sampleBegin ? Array(tokens[sampleBegin...]) : []
        let lastWasTimestamp = sampled.count >= 1 && sampled[sampled.count - 1] >= timestampBegin
        let penultimateWasTimestamp = sampled.count < 2 || sampled[sampled.count - 2] >= timestampBegin
        if lastWasTimestamp {
            if penultimateWasTimestamp {
                suppress(timestampBegin..<vocab)  // a closed pair: text or eot next
            } else {
                suppress(0..<eot)  // an open timestamp: close it (or end) before more text
            }
        }
        if let lastTimestamp = sampled.last(where: { $0 >= timestampBegin }) {
            // Never go backwards; a segment that just opened must have nonzero length.
            let timestampLast = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1
            suppress(timestampBegin..<max(timestampBegin, timestampLast))
        }
        if tokens.count == sampleBegin {
            suppress(0..<timestampBegin)  // the text starts with a timestamp
            if let maxIndex = maxInitialTimestampIndex {
                suppress((timestampBegin + maxIndex + 1)..<vocab)
            }
        }
        // If the probability mass on all timestamps beats every single text token, force a timestamp.
        // whisper compares log-softmax values; both sides share the normalizer, so comparing
        // logsumexp(timestamp logits) with the largest text logit decides the same.
        var maxText = -Double.infinity
        var maxTimestamp = -Double.infinity
        logits.withUnsafeBufferPointer { row in
            for i in 0..<tb where Double(row[i]) > maxText { maxText = Double(row[i]) }
            for i in tb..<vocab where Double(row[i]) > maxTimestamp { maxTimestamp = Double(row[i]) }
        }
        guard maxTimestamp > -.infinity else { return }
        var sum = 0.0
        logits.withUnsafeBufferPointer { row in
            for i in tb..<vocab { sum += exp(Double(row[i]) - maxTimestamp) }
        }
        let timestampLogSumExp = maxTimestamp + log(sum)
        if timestampLogSumExp > maxText { suppress(0..<timestampBegin) }
    }
}
