import LoomModels
import LoomTensor

/// The Swift Whisper model (LoomModels) as the decoding loop sees it; its `encode(mel:)` already fits.
extension WhisperModel: WhisperModelRunning {
    public var nVocab: Int { config.vocabularySize }
    public var nTextCtx: Int { config.textContext }

    public func startDecoding(_ audio: Tensor, batch: Int) throws -> WhisperModelSession {
        WhisperModelSession(model: self, state: try makeDecoderState(encoderOutput: audio, batchSize: batch))
    }

    public func alignmentPass(_ audio: Tensor, tokens: [Int], frames: Int) throws -> WhisperAlignmentPass {
        try alignmentPass(encoderOutput: audio, tokens: tokens, frames: frames)
    }
}

/// A decoder run over one window: the model plus its KV caches.
public struct WhisperModelSession: WhisperDecoderSession {
    let model: WhisperModel
    var state: WhisperDecoderState

    public mutating func logits(for newTokens: [[Int]], at positions: [Int]) throws -> [[[Float]]] {
        if state.length == 0, newTokens.count > 1, newTokens.allSatisfy({ $0 == newTokens[0] }) {
            // Every beam starts from the same prompt (up to 224 tokens of previous text): run it once
            // and give each beam a copy of its cache, instead of pushing identical rows through.
            let beams = newTokens.count
            try state.reset(batchSize: 1)
            let shared = try logits(for: [newTokens[0]], at: positions)
            try state.reorder(beams: Array(repeating: 0, count: beams))
            return Array(repeating: shared[0], count: beams)
        }
        let steps = newTokens.first?.count ?? 0
        let onlyLast = positions == [steps - 1]
        let logits = try model.decode(newTokens, state: &state, allPositions: !onlyLast)  // (batch, kept, vocab)
        let kept = onlyLast ? 1 : steps
        let vocab = model.config.vocabularySize
        return logits.data.withUnsafeBufferPointer { values in
            (0..<newTokens.count).map { b in
                positions.map { position in
                    let row = onlyLast ? 0 : position
                    let start = (b * kept + row) * vocab
                    return Array(values[start..<start + vocab])
                }
            }
        }
    }

    public mutating func reorder(_ sourceIndices: [Int]) throws {
        try state.reorder(beams: sourceIndices)
    }
}
