/// A model seen only through its next-token logits. The model keeps its own KV cache: each call
/// appends `tokens` to what it has seen and returns the logits for the token after the last one.
public protocol NextTokenLogits {
    mutating func logits(appending tokens: [Int]) throws -> [Float]
}

/// One step of streamed output: the token chosen (nil for the final chunk that releases text held back
/// while it could still have become a stop string) and the text now safe to show (often "").
public struct GenerationChunk: Sendable, Equatable {
    public let token: Int?
    public let text: String

    public init(token: Int?, text: String) {
        self.token = token
        self.text = text
    }
}

/// Throughput of one generation, as `loom generate --stats` prints it.
public struct GenerationStats: Sendable, Equatable {
    public var promptTokens: Int
    /// Seconds for the prompt's forward pass.
    public var promptSeconds: Double
    /// Seconds from the start until the first new token was chosen (prompt pass + first sampling).
    public var timeToFirstToken: Double
    /// New tokens chosen, end-of-sequence included.
    public var generatedTokens: Int
    /// Seconds from the first new token to the last one: (generatedTokens - 1) single-token passes.
    public var decodeSeconds: Double

    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    public var decodeTokensPerSecond: Double {
        decodeSeconds > 0 ? Double(max(generatedTokens - 1, 0)) / decodeSeconds : 0
    }
}

public struct GenerationResult: Sendable, Equatable {
    /// New token ids, without the end-of-sequence token; with the token that completed a stop string.
    public var tokens: [Int]
    /// The streamed text joined (nil without a detokenizer); cut before a stop string.
    public var text: String?
    public var finishReason: FinishReason
    public var stats: GenerationStats
}

/// The decoding loop, independent of any model: prompt pass, then choose / check stop rules / feed
/// back one token at a time, streaming each token through a callback.
///
/// Stopping early: an error the callback throws ends the loop and is thrown from `generate`; run
/// from a task, the loop checks for cancellation before every forward pass and throws
/// `CancellationError`, so a cancelled generation computes at most the token it was on.
/// Follows the shape of transformers' `_sample` loop (generation/utils.py) with llama.cpp-style
/// stop strings.
public struct Generator<Model: NextTokenLogits> {
    public var model: Model
    public var sampler: Sampler
    public let stop: StopRules

    public init(model: Model, sampler: Sampler, stop: StopRules) {
        self.model = model
        self.sampler = sampler
        self.stop = stop
    }

    /// Generates token ids only (no stop strings, since there is no text to match them on).
    public mutating func generate(
        prompt: [Int], onChunk: (GenerationChunk) throws -> Void = { _ in }
    ) throws -> GenerationResult {
        var none: ClosureDetokenizer? = nil
        return try run(prompt: prompt, detokenizer: &none, onChunk: onChunk)
    }

    /// Generates and decodes text as it goes; stop strings are matched on that text.
    public mutating func generate<D: IncrementalDetokenizer>(
        prompt: [Int], detokenizer: inout D, onChunk: (GenerationChunk) throws -> Void = { _ in }
    ) throws -> GenerationResult {
        var some: D? = detokenizer
        defer { detokenizer = some! }
        return try run(prompt: prompt, detokenizer: &some, onChunk: onChunk)
    }

    private mutating func run<D: IncrementalDetokenizer>(
        prompt: [Int], detokenizer: inout D?, onChunk: (GenerationChunk) throws -> Void
    ) throws -> GenerationResult {
        try stop.validate()
        guard !prompt.isEmpty else { throw GenerationError.emptyPrompt }
        if !stop.stopStrings.isEmpty && detokenizer == nil { throw GenerationError.stopStringsNeedDetokenizer }
        var matcher = try StopStringMatcher(stopStrings: stop.stopStrings)
        var text: String? = detokenizer == nil ? nil : ""

        let clock = ContinuousClock()
        let start = clock.now
        try Task.checkCancellation()
        var logits = try model.logits(appending: prompt)
        let vocabulary = logits.count
        let promptEnd = clock.now
        var stats = GenerationStats(
            promptTokens: prompt.count, promptSeconds: seconds(promptEnd - start),
            timeToFirstToken: 0, generatedTokens: 0, decodeSeconds: 0)
        var firstTokenTime = promptEnd
        var history = prompt
        var generated: [Int] = []
        var reason = FinishReason.maxTokens

        func emit(_ token: Int?, _ piece: String) throws {
            text? += piece
            try onChunk(GenerationChunk(token: token, text: piece))
        }

        while true {
            guard logits.count == vocabulary else {
                throw GenerationError.logitsCountMismatch(expected: vocabulary, actual: logits.count)
            }
            let token = try sampler.next(logits: logits, history: history)
            stats.generatedTokens += 1
            if stats.generatedTokens == 1 {
                firstTokenTime = clock.now
                stats.timeToFirstToken = seconds(firstTokenTime - start)
            }
            history.append(token)
            if stop.eosTokenIDs.contains(token) {
                reason = .endOfSequence(token: token)
                break
            }
            generated.append(token)
            if detokenizer != nil {
                let piece = detokenizer!.append(token)
                let (safe, stopped) = matcher.append(piece)
                try emit(token, safe)
                if stopped {
                    reason = .stopString(matcher.matched!)
                    break
                }
            } else {
                try emit(token, "")
            }
            // Stop before another forward pass whose logits would go unused.
            if stats.generatedTokens >= stop.maxTokens { break }
            try Task.checkCancellation()
            logits = try model.logits(appending: [token])
        }
        stats.decodeSeconds = seconds(clock.now - firstTokenTime)

        if detokenizer != nil, matcher.matched == nil {
            let rest = matcher.append(detokenizer!.finish())
            let tail = rest.stop ? rest.text : rest.text + matcher.finish()
            if rest.stop { reason = .stopString(matcher.matched!) }
            if !tail.isEmpty { try emit(nil, tail) }
        }
        return GenerationResult(tokens: generated, text: text, finishReason: reason, stats: stats)
    }

    private func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
