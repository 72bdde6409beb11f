import LoomCheck
import LoomTensor

// The decoder pass behind word timestamps: openai-whisper's `find_alignment`
// (https://github.com/openai/whisper/blob/main/whisper/timing.py) and CTranslate2's `Whisper.align`
// (src/models/whisper.cc) run the decoder once over [sot sequence, <|notimestamps|>, text, eot] and
// keep the cross-attention of the alignment heads. Only that pass records anything: ordinary decode
// steps hand the decoder no recorder and pay one nil check per layer.

/// One cross-attention head of the decoder: (layer, head), as config files list `alignment_heads`.
public struct WhisperAlignmentHead: Hashable, Sendable {
    public let layer: Int
    public let head: Int

    public init(layer: Int, head: Int) {
        self.layer = layer
        self.head = head
    }
}

/// What the alignment pass returns for a sequence of T tokens.
public struct WhisperAlignmentPass: Sendable {
    /// (T, vocabulary): the logits at every position.
    public let logits: Tensor
    /// Per head of `WhisperModel.alignmentHeads`, (T, frames) raw scores q.k / sqrt(headDim) over the
    /// first `frames` encoder positions, before any softmax (the softmax is over content frames only).
    public let scores: [Tensor]

    public init(logits: Tensor, scores: [Tensor]) {
        self.logits = logits
        self.scores = scores
    }
}

extension WhisperModel {
    /// The heads whose cross-attention follows the timing of the words: the config's
    /// `alignment_heads`, else every head of the last half of the decoder layers (openai-whisper's
    /// `Whisper.__init__` default, which faster-whisper's converter also writes).
    public var alignmentHeads: [WhisperAlignmentHead] {
        if !config.alignmentHeads.isEmpty {
            return config.alignmentHeads.map { WhisperAlignmentHead(layer: $0[0], head: $0[1]) }
        }
        return (config.decoderLayers / 2..<config.decoderLayers).flatMap { layer in
            (0..<config.decoderHeads).map { WhisperAlignmentHead(layer: layer, head: $0) }
        }
    }

    /// Runs `tokens` through a fresh decoder over `encoderOutput` (the window's encoder output, so the
    /// encoder does not run again) and keeps the alignment heads' scores over the first `frames`
    /// encoder positions (content frames / 2, at least 1, at most the audio context).
    /// - Throws: the errors of `makeDecoderState` and `decode`.
    public func alignmentPass(encoderOutput: Tensor, tokens: [Int], frames: Int) throws -> WhisperAlignmentPass {
        var state = try makeDecoderState(encoderOutput: encoderOutput)
        let recorder = WhisperCrossAttentionRecorder(
            heads: alignmentHeads, frames: min(max(1, frames), config.audioContext), headDim: config.width / config.decoderHeads)
        let logits = try forward([tokens], state: &state, allPositions: true, recorder: recorder)
        return WhisperAlignmentPass(logits: logits.reshaped([tokens.count, config.vocabularySize]), scores: recorder.scores)
    }
}

/// Collects, during one forward pass of a single sequence, the raw cross-attention scores of chosen heads.
final class WhisperCrossAttentionRecorder {
    let heads: [WhisperAlignmentHead]
    let frames: Int
    let headDim: Int
    /// Per head, (queries, frames); filled when the head's layer runs.
    private(set) var scores: [Tensor]

    init(heads: [WhisperAlignmentHead], frames: Int, headDim: Int) {
        self.heads = heads
        self.frames = frames
        self.headDim = headDim
        scores = heads.map { _ in Tensor(zeros: [0, 0]) }
    }

    /// Scores of this layer's recorded heads for `queries` (queries, width), the cross-attention
    /// queries of the layer: scale q_h . k_j over the first `frames` keys, one GEMM per head over
    /// keys unpacked from their panels.
    func record(queries: Tensor, keyValues: WhisperCrossKeyValues, layer: Int) {
        let rows = queries.shape[0], width = queries.shape[1]
        require(keyValues.headDim == headDim, "WhisperCrossAttentionRecorder: head size \(keyValues.headDim), expected \(headDim)")
        let scale = 1 / Float(headDim).squareRoot()
        for (index, head) in heads.enumerated() where head.layer == layer {
            let keys = keyValues.unpackedKeys(head: head.head, count: frames)  // (frames, headDim)
            var out = Tensor(zeros: [rows, frames])
            queries.data.withUnsafeBufferPointer { q in
                keys.withUnsafeBufferPointer { k in
                    out.data.withUnsafeMutableBufferPointer { o in
                        // (rows, headDim) x (frames, headDim)^T -> (rows, frames)
                        BLAS.sgemm(transposeB: true, m: rows, n: frames, k: headDim, alpha: scale,
                                   a: q.baseAddress! + head.head * headDim, lda: width,
                                   b: k.baseAddress!, ldb: headDim, c: o.baseAddress!, ldc: frames)
                    }
                }
            }
            scores[index] = out
        }
    }
}

extension WhisperCrossKeyValues {
    /// Head `head`'s first `count` keys as (count, headDim) rows, read back from the panels
    /// `Kernels.packKeys` wrote (panel p holds keys 16p..<16p+16, feature-major).
    func unpackedKeys(head: Int, count: Int) -> [Float] {
        let panel = Kernels.packedKeysCount(keys: 1, dim: 1)  // keys per panel
        var keys = [Float](repeating: 0, count: count * headDim)
        packedKeys.withUnsafeBufferPointer { packed in
            let base = packed.baseAddress! + head * packedHeadSize
            for j in 0..<count {
                let source = base + (j / panel) * headDim * panel + j % panel
                for f in 0..<headDim { keys[j * headDim + f] = source[f * panel] }
            }
        }
        return keys
    }
}
