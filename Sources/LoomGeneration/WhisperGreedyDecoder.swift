/// openai-whisper's `GreedyDecoder` (whisper/decoding.py): each sequence takes the argmax (temperature
/// 0) or a draw from softmax(logits / temperature); its score grows by the chosen token's log-prob
/// under the unscaled logits; a sequence that already ended keeps appending EOT and stops scoring.
/// Draws come from the portable Xoshiro256StarStar, so sampled tokens differ from torch's.
public struct WhisperGreedyDecoder: Sendable {
    public let temperature: Float
    public let eot: Int
    private var random: Xoshiro256StarStar

    public init(temperature: Float, eot: Int, seed: UInt64 = 0) throws(GenerationError) {
        guard temperature.isFinite, temperature >= 0 else { throw .invalidTemperature(temperature) }
        self.temperature = temperature
        self.eot = eot
        self.random = Xoshiro256StarStar(seed: seed)
    }

    /// One step for a batch of sequences; `sumLogProbs` is updated in place as whisper does.
    /// Returns the extended sequences and whether all of them now end in EOT.
    public mutating func update(
        tokens: [[Int]], logits: [[Float]], sumLogProbs: inout [Float]
    ) throws(GenerationError) -> (tokens: [[Int]], completed: Bool) {
        guard tokens.count == logits.count, tokens.count == sumLogProbs.count else {
            throw .batchShapeMismatch(
                "\(tokens.count) token rows, \(logits.count) logits rows and \(sumLogProbs.count) scores must be equal")
        }
        var next = tokens
        for (row, rowLogits) in logits.enumerated() {
            try LogitsMath.validate(rowLogits)
            let token: Int
            if temperature == 0 {
                token = LogitsMath.argmax(rowLogits)!
            } else {
                let probs = LogitsMath.softmax(rowLogits.map { $0 / temperature })
                token = Sampler.draw(from: probs, uniform: random.nextUnitDouble())
            }
            let ended = tokens[row].last == eot
            if !ended { sumLogProbs[row] += LogitsMath.logSoftmax(rowLogits)[token] }
            next[row].append(ended ? eot : token)
        }
        return (next, next.allSatisfy { $0.last == eot })
    }

    /// Every sequence with one more EOT at the end, as whisper's `finalize` pads them.
    public func finalize(tokens: [[Int]]) -> [[Int]] { tokens.map { $0 + [eot] } }
}
