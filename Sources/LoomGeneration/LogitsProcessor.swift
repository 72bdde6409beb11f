/// One step that reshapes next-token logits before a token is chosen, like a processor or warper in
/// Hugging Face transformers (transformers/generation/logits_process.py). Masked tokens are set to
/// -inf. Settings are checked when a processor is made, so `process` cannot fail.
public protocol LogitsProcessor: Sendable {
    /// Rewrites `logits` (one entry per vocabulary token) given every token so far (prompt included).
    func process(_ logits: inout [Float], history: [Int])
}

/// `RepetitionPenaltyLogitsProcessor`: each token seen in `history` (counted once however often it
/// appears) has a positive logit divided by `penalty` and a negative one multiplied by it. Ids outside
/// the vocabulary are ignored, as transformers drops them.
public struct RepetitionPenaltyProcessor: LogitsProcessor {
    public let penalty: Float

    public init(penalty: Float) throws(GenerationError) {
        guard penalty.isFinite, penalty > 0 else { throw .invalidRepetitionPenalty(penalty) }
        self.penalty = penalty
    }

    public func process(_ logits: inout [Float], history: [Int]) {
        let vocab = logits.count
        // Mark first, then penalize: a token repeated in history is penalized once.
        var seen = [Bool](repeating: false, count: vocab)
        for token in history where token >= 0 && token < vocab { seen[token] = true }
        logits.withUnsafeMutableBufferPointer { x in
            for i in 0..<vocab where seen[i] {
                x[i] = x[i] < 0 ? x[i] * penalty : x[i] / penalty
            }
        }
    }
}

/// `TemperatureLogitsWarper`: logits / temperature. Temperature 0 means greedy decoding, which the
/// `Sampler` handles without this warper (transformers refuses 0 here too).
public struct TemperatureProcessor: LogitsProcessor {
    public let temperature: Float

    public init(temperature: Float) throws(GenerationError) {
        guard temperature.isFinite, temperature > 0 else { throw .invalidTemperature(temperature) }
        self.temperature = temperature
    }

    public func process(_ logits: inout [Float], history: [Int]) {
        logits.withUnsafeMutableBufferPointer { x in
            for i in 0..<x.count { x[i] = x[i] / temperature }
        }
    }
}

/// `SuppressTokensLogitsProcessor`: the listed tokens get -inf at every step (Whisper's suppress list).
public struct SuppressTokensProcessor: LogitsProcessor {
    public let tokens: [Int]

    public init(tokens: [Int]) { self.tokens = tokens }

    public func process(_ logits: inout [Float], history: [Int]) {
        for token in tokens where token >= 0 && token < logits.count { logits[token] = -.infinity }
    }
}

/// `SuppressTokensAtBeginLogitsProcessor`: the listed tokens get -inf only at the step where the history
/// holds exactly `beginIndex` tokens, i.e. the first sampled token (Whisper's blank suppression).
public struct SuppressTokensAtBeginProcessor: LogitsProcessor {
    public let tokens: [Int]
    public let beginIndex: Int

    public init(tokens: [Int], beginIndex: Int) {
        self.tokens = tokens
        self.beginIndex = beginIndex
    }

    public func process(_ logits: inout [Float], history: [Int]) {
        guard history.count == beginIndex else { return }
        for token in tokens where token >= 0 && token < logits.count { logits[token] = -.infinity }
    }
}
