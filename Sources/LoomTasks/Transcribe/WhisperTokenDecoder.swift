import Foundation
import LoomGeneration

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
/// (https://github.com/openai/whisper/blob/main/whisper/decoding.py): greedy/sampling or beam search.
public protocol WhisperTokenDecoder {
    mutating func reset()
    /// Appends the next token to each of `tokens` (whole contexts, initial tokens included) and adds
    /// its log-probability to `sumLogprobs` while the sequence has not ended.
    mutating func update(tokens: inout [[Int]], logits: [[Float]], sumLogprobs: inout [Float]) throws -> WhisperDecoderStep
    /// The candidate sequences for one audio and their summed log-probabilities; each candidate ends
    /// with at least one `eot`.
    mutating func finalize(tokens: [[Int]], sumLogprobs: [Float]) -> (candidates: [[Int]], sumLogprobs: [Float])
}

/// Greedy (temperature 0: argmax) or sampling (softmax(logits / temperature)) decoding: whisper's
/// `GreedyDecoder`, as LoomGeneration's `WhisperGreedyDecoder` implements it. Sampling draws from a
/// seeded xoshiro256** generator, so runs repeat but do not reproduce torch's random numbers.
public struct GreedyTokenDecoder: WhisperTokenDecoder {
    private var decoder: WhisperGreedyDecoder

    public init(temperature: Double, eot: Int, seed: UInt64) throws {
        decoder = try WhisperGreedyDecoder(temperature: Float(temperature), eot: eot, seed: seed)
    }

    public mutating func reset() {}

    public mutating func update(tokens: inout [[Int]], logits: [[Float]], sumLogprobs: inout [Float]) throws -> WhisperDecoderStep {
        let step = try decoder.update(tokens: tokens, logits: logits, sumLogProbs: &sumLogprobs)
        tokens = step.tokens
        return WhisperDecoderStep(completed: step.completed)
    }

    public mutating func finalize(tokens: [[Int]], sumLogprobs: [Float]) -> (candidates: [[Int]], sumLogprobs: [Float]) {
        (decoder.finalize(tokens: tokens), sumLogprobs)
    }

    /// The first index of the largest value, as torch's argmax.
    static func argmax(_ row: [Float]) -> Int {
        LogitsMath.argmax(row) ?? 0
    }
}

/// Beam search for one audio window: whisper's `BeamSearchDecoder`, as LoomGeneration implements it.
/// The decoder session's caches follow the beams through `sourceIndices`.
public struct BeamTokenDecoder: WhisperTokenDecoder {
    private var decoder: BeamSearchDecoder

    public init(beamSize: Int, patience: Double?, eot: Int) throws {
        decoder = try BeamSearchDecoder(beamSize: beamSize, eot: eot, patience: patience)
    }

    public mutating func reset() { decoder.reset() }

    public mutating func update(tokens: inout [[Int]], logits: [[Float]], sumLogprobs: inout [Float]) throws -> WhisperDecoderStep {
        let step = try decoder.update(tokens: tokens, logits: logits, sumLogProbs: sumLogprobs)
        tokens = step.tokens
        sumLogprobs = step.sumLogProbs
        return WhisperDecoderStep(completed: step.completed, sourceIndices: step.sourceIndices)
    }

    public mutating func finalize(tokens: [[Int]], sumLogprobs: [Float]) -> (candidates: [[Int]], sumLogprobs: [Float]) {
        let candidates = decoder.finalize(tokens: tokens, sumLogProbs: sumLogprobs)
        return (candidates.map(\.tokens), candidates.map(\.sumLogProb))
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
