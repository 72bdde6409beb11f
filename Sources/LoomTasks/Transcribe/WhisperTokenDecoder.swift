import Foundation

/// What one `update` did: whether every sequence has ended, and, for decoders that reorder sequences
/// (beam search), which old sequence each new one continues, so the caller can reorder its caches.
public struct WhisperDecoderStep: Sendable, Equatable {
    public var completed: Bool
    public var sourceIndices: [Int]?

    public init(completed: Bool, sourceIndices: [Int]? = nil) {
        self.completed = completed
        self.sourceIndices = sourceIndices
    }
}

/// Chooses next tokens from filtered logits: whisper's `TokenDecoder`
/// (https://github.com/openai/whisper/blob/main/whisper/decoding.py). The seam where beam search
/// plugs in: `WhisperDecoding.makeBeamDecoder` builds one for `beamSize`.
public protocol WhisperTokenDecoder {
    mutating func reset()
    /// Appends the next token to each of `tokens` (whole contexts, initial tokens included) and adds
    /// its log-probability to `sumLogprobs` while the sequence has not ended.
    mutating func update(tokens: inout [[Int]], logits: [[Float]], sumLogprobs: inout [Float]) throws -> WhisperDecoderStep
    /// The candidate sequences for one audio and their summed log-probabilities; each candidate ends
    /// with at least one `eot`.
    mutating func finalize(tokens: [[Int]], sumLogprobs: [Float]) -> (candidates: [[Int]], sumLogprobs: [Float])
}

/// Greedy (temperature 0: argmax) or sampling (softmax(logits / temperature)) decoding; whisper's
/// `GreedyDecoder`. Sampling draws from a seeded xoshiro256** generator, so runs repeat but do not
/// reproduce torch's random numbers.
public struct GreedyTokenDecoder: WhisperTokenDecoder {
    public let temperature: Double
    public let eot: Int
    private var random: Xoshiro256StarStar

    public init(temperature: Double, eot: Int, seed: UInt64) {
        self.temperature = temperature
        self.eot = eot
        random = Xoshiro256StarStar(seed: seed)
    }

    public mutating func reset() {}

    public mutating func update(tokens: inout [[Int]], logits: [[Float]], sumLogprobs: inout [Float]) throws -> WhisperDecoderStep {
        for k in tokens.indices {
            let row = logits[k]
            var next = temperature == 0 ? Self.argmax(row) : try sample(row)
            let finished = tokens[k].last == eot
            if !finished { sumLogprobs[k] += LogSoftmax.value(row, at: next) }
            if finished { next = eot }
            tokens[k].append(next)
        }
        return WhisperDecoderStep(completed: tokens.allSatisfy { $0.last == eot })
    }

    public mutating func finalize(tokens: [[Int]], sumLogprobs: [Float]) -> (candidates: [[Int]], sumLogprobs: [Float]) {
        (tokens.map { $0 + [eot] }, sumLogprobs)
    }

    /// The first index of the largest value, as torch's argmax.
    static func argmax(_ row: [Float]) -> Int {
        var best = 0
        row.withUnsafeBufferPointer { values in
            for i in values.indices where values[i] > values[best] { best = i }
        }
        return best
    }

    private mutating func sample(_ row: [Float]) throws -> Int {
        let scaled = row.map { Double($0) / temperature }
        guard let peak = scaled.max(), peak > -.infinity else { throw WhisperDecodingError.allTokensSuppressed }
        let weights = scaled.map { exp($0 - peak) }
        let total = weights.reduce(0, +)
        let target = random.nextUnitDouble() * total
        var cumulative = 0.0
        var lastPositive = 0
        for (i, w) in weights.enumerated() where w > 0 {
            cumulative += w
            lastPositive = i
            if target < cumulative { return i }
        }
        return lastPositive  // rounding left target at the very top
    }
}

/// Log-softmax values of one logits row, in float64 (torch computes them in float32).
enum LogSoftmax {
    static func logNormalizer(_ row: [Float]) -> Double {
        row.withUnsafeBufferPointer { values in
            var peak = -Double.infinity
            for v in values where Double(v) > peak { peak = Double(v) }
            guard peak > -.infinity else { return -.infinity }
            var sum = 0.0
            for v in values { sum += exp(Double(v) - peak) }
            return peak + log(sum)
        }
    }

    static func value(_ row: [Float], at index: Int) -> Float {
        Float(Double(row[index]) - logNormalizer(row))
    }

    /// softmax(row)[index].
    static func probability(_ row: [Float], at index: Int) -> Double {
        exp(Double(row[index]) - logNormalizer(row))
    }
}

/// Picks the best candidate: whisper's `MaximumLikelihoodRanker`.
struct MaximumLikelihoodRanker {
    let lengthPenalty: Double?

    func best(candidates: [[Int]], sumLogprobs: [Float]) -> Int {
        var bestIndex = 0
        var bestScore = -Double.infinity
        for (i, candidate) in candidates.enumerated() {
            let length = Double(candidate.count)
            let penalty = lengthPenalty.map { pow((5 + length) / 6, $0) } ?? length
            let score = Double(sumLogprobs[i]) / penalty
            // np.argmax takes the first maximum; NaN (0 / 0 for an empty candidate) wins there too.
            if score.isNaN { if !bestScore.isNaN { bestIndex = i; bestScore = score }; continue }
            if score > bestScore { bestIndex = i; bestScore = score }
        }
        return bestIndex
    }
}
