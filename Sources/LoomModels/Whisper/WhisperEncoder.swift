import LoomTensor

// The audio encoder, as `AudioEncoder.forward` in whisper/model.py: conv1 (k 3, pad 1) + GELU,
// conv2 (k 3, stride 2, pad 1) + GELU, + sinusoidal positions, pre-LN residual blocks
// (LN -> self-attention without mask; LN -> MLP with exact GELU), final LN. All 1500 positions go
// through each GEMM together.

extension WhisperModel {
    /// Encodes one 30 s window of log-mel features (melBins, 2 x audioContext) into
    /// (audioContext, width) audio features for the decoder's cross-attention.
    /// - Throws: `WhisperError.melShape` when the mel bins or frames differ from the model's.
    public func encode(mel: Tensor) throws -> Tensor {
        let c = config, w = weights
        guard mel.shape == [c.melBins, c.melFrames] else {
            throw WhisperError.melShape(expected: [c.melBins, c.melFrames], actual: mel.shape)
        }
        var x = Tensor.conv1d(mel, weight: w.conv1.weight, bias: w.conv1.bias, stride: 1, padding: 1)
            .gelu()  // (width, frames)
        x = Tensor.conv1d(x, weight: w.conv2.weight, bias: w.conv2.bias, stride: 2, padding: 1)
            .gelu()  // (width, audioContext)
        x = Self.transposed(x)  // (audioContext, width)
        x.add(w.encoderPositions)
        for layer in w.encoderLayers {
            encoderSelfAttention(&x, layer.selfAttention)
            Self.mlp(&x, layer.mlp)
        }
        return w.encoderNorm(x)
    }

    /// x += out(attention(LN(x))) over all positions, no mask.
    private func encoderSelfAttention(_ x: inout Tensor, _ w: WhisperSelfAttentionWeights) {
        let positions = x.shape[0], width = config.width, heads = config.encoderHeads
        let qkv = w.qkv(w.norm(x))  // (T, 3 width)
        var attended = Tensor(zeros: [positions, width])
        var scores = [Float](repeating: 0, count: positions * positions)
        qkv.data.withUnsafeBufferPointer { qp in
            attended.data.withUnsafeMutableBufferPointer { op in
                scores.withUnsafeMutableBufferPointer { sp in
                    let base = qp.baseAddress!, headDim = width / heads
                    WhisperAttention.attend(
                        query: WhisperHeadView(base: base, rowStride: 3 * width, headOffset: headDim),
                        key: WhisperHeadView(base: base + width, rowStride: 3 * width, headOffset: headDim),
                        value: WhisperHeadView(base: base + 2 * width, rowStride: 3 * width, headOffset: headDim),
                        out: op.baseAddress!, outRowStride: width, heads: heads, headDim: headDim,
                        queries: positions, keys: positions, causalOffset: nil, scores: sp.baseAddress!)
                }
            }
        }
        x.add(w.out(attended))
    }

    /// x += fc2(GELU(fc1(LN(x)))), the block's MLP (encoder and decoder alike).
    static func mlp(_ x: inout Tensor, _ w: WhisperMLPWeights) {
        var hidden = w.fc1(w.norm(x))
        hidden.data.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: $0.count) }
        x.add(w.fc2(hidden))
    }

    /// (rows, columns) -> (columns, rows).
    static func transposed(_ t: Tensor) -> Tensor {
        let rows = t.shape[0], columns = t.shape[1]
        var out = Tensor(zeros: [columns, rows])
        t.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows { for col in 0..<columns { dst[col * rows + r] = src[r * columns + col] } }
            }
        }
        return out
    }
}
