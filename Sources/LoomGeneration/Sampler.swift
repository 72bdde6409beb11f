/// Sampling settings for one generation, named as `loom generate` exposes them. Each "off" value
/// leaves its step out of the chain, as transformers' generate() does.
public struct SamplingOptions: Sendable, Equatable {
    /// 0 = greedy (argmax); otherwise logits are divided by it before truncation.
    public var temperature: Float
    /// 0 = off.
    public var topK: Int
    /// 1 = off; otherwise in (0, 1).
    public var topP: Float
    /// 0 = off; otherwise in (0, 1].
    public var minP: Float
    /// 1 = off; > 1 discourages tokens already in the prompt or output.
    public var repetitionPenalty: Float
    /// Seed of the portable random generator (Xoshiro256StarStar), so a run repeats exactly.
    public var seed: UInt64

    public init(
        temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
        repetitionPenalty: Float = 1, seed: UInt64 = 0
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
    }

    public static let greedy = SamplingOptions()
}

/// Chooses next tokens from logits: processors first, then argmax (greedy) or a draw from the softmax.
///
/// Order, the same as transformers' generate() (generation/utils.py `_get_logits_processor`):
/// repetition penalty -> suppression -> temperature -> top-k -> top-p -> min-p -> sample.
/// llama.cpp's default chain (common/sampling.cpp) differs: penalties -> top-k -> typical -> top-p ->
/// min-p -> temperature -> dist, i.e. it truncates before scaling by temperature, so top-p and min-p see
/// the unscaled distribution there. Loom follows transformers because every processor is checked
/// against transformers' output, and because min-p after temperature is what the min-p authors
/// recommend (see the comment in transformers citing llama.cpp PR 3841). With temperature 0 the
/// warpers are skipped and only the penalty and suppression apply before the argmax, as in greedy
/// generate().
public struct Sampler: Sendable {
    public let options: SamplingOptions
    /// Processors applied in order before choosing (penalty and suppression always; warpers when sampling).
    public let processors: [any LogitsProcessor]
    private var random: Xoshiro256StarStar

    /// - Parameter suppressTokens: ids never to produce (e.g. Whisper's non-speech tokens).
    public init(_ options: SamplingOptions, suppressTokens: [Int] = []) throws(GenerationError) {
        guard options.temperature.isFinite, options.temperature >= 0 else {
            throw .invalidTemperature(options.temperature)
        }
        guard options.topK >= 0 else { throw .invalidTopK(options.topK) }
        guard options.topP > 0, options.topP <= 1 else { throw .invalidTopP(options.topP) }
        guard options.minP >= 0, options.minP <= 1 else { throw .invalidMinP(options.minP) }
        var chain: [any LogitsProcessor] = []
        if options.repetitionPenalty != 1 {
            chain.append(try RepetitionPenaltyProcessor(penalty: options.repetitionPenalty))
        }
        if !suppressTokens.isEmpty { chain.append(SuppressTokensProcessor(tokens: suppressTokens)) }
        if options.temperature > 0 {
            if options.temperature != 1 { chain.append(try TemperatureProcessor(temperature: options.temperature)) }
            if options.topK > 0 { chain.append(try TopKProcessor(k: options.topK)) }
            if options.topP < 1 { chain.append(try TopPProcessor(p: options.topP)) }
            if options.minP > 0 { chain.append(try MinPProcessor(minP: options.minP)) }
        }
        self.options = options
        self.processors = chain
        self.random = Xoshiro256StarStar(seed: options.seed)
    }

    public var isGreedy: Bool { options.temperature == 0 }

    /// Runs the processor chain on a copy of `logits` and returns the result (-inf = removed).
    public func processed(_ logits: [Float], history: [Int]) throws(GenerationError) -> [Float] {
        try LogitsMath.validate(logits)
        var scores = logits
        for processor in processors { processor.process(&scores, history: history) }
        if !scores.contains(where: { $0.isFinite }) { throw .allTokensMasked }
        return scores
    }

    /// The next token for `logits` given the tokens so far (prompt included, for the penalty).
    public mutating func next(logits: [Float], history: [Int]) throws(GenerationError) -> Int {
        if processors.isEmpty && isGreedy {
            // Plain greedy: no copy of the logits (49152 floats for SmolLM2), one check, one argmax.
            try LogitsMath.validate(logits)
            return LogitsMath.argmax(logits)!
        }
        let scores = try processed(logits, history: history)
        if isGreedy { return LogitsMath.argmax(scores)! }
        return Self.draw(from: LogitsMath.softmax(scores), uniform: random.nextUnitDouble())
    }

    /// Inverse-CDF draw: the first token whose cumulative probability exceeds `uniform` in [0, 1).
    /// Zero-probability tokens are never returned; rounding that leaves the total below `uniform`
    /// falls back to the last token with non-zero probability.
    static func draw(from probs: [Float], uniform: Double) -> Int {
        var total = 0.0
        for p in probs { total += Double(p) }
        let target = uniform * total
        var cumulative = 0.0
        var lastPositive = 0
        for (i, p) in probs.enumerated() where p > 0 {
            cumulative += Double(p)
            lastPositive = i
            if target < cumulative { return i }
        }
        return lastPositive
    }
}
