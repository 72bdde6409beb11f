import LoomCheck
import LoomTensor

// The text decoder, as `TextDecoder.forward` in whisper/model.py with its kv_cache: token embedding +
// learned positions offset by the cached length, pre-LN blocks (causal self-attention over cache +
// new tokens; cross-attention over the window's encoder output; MLP), final LN, logits = x E^T.

extension WhisperModel {
    /// A fresh decoder state for one window: computes every layer's cross-attention keys and values
    /// from `encoderOutput` (audioContext, width) once.
    /// - Throws: `WhisperError.encoderOutputShape`, or `.beamIndex` for a batch size below 1.
    public func makeDecoderState(encoderOutput: Tensor, batchSize: Int = 1) throws -> WhisperDecoderState {
        let expected = [config.audioContext, config.width]
        guard encoderOutput.shape == expected else {
            throw WhisperError.encoderOutputShape(expected: expected, actual: encoderOutput.shape)
        }
        guard batchSize > 0 else { throw WhisperError.beamIndex("batch size \(batchSize) must be positive") }
        let heads = config.decoderHeads, headDim = config.width / heads
        let crossKeyValues = weights.decoderLayers.map {
            WhisperCrossKeyValues(keyValues: $0.crossAttention.keyValue(encoderOutput), heads: heads, headDim: headDim)
        }
        return WhisperDecoderState(
            batchSize: batchSize, layers: config.decoderLayers, heads: config.decoderHeads,
            headDim: config.width / config.decoderHeads, maximumLength: config.textContext,
            crossKeyValues: crossKeyValues)
    }

    /// Runs `tokens` (one equal-length list of new tokens per sequence of the state's batch) through
    /// the decoder, appending them to the caches, and returns logits (batch, positions, vocabulary):
    /// every new position with `allPositions`, else only the last (positions = 1).
    /// - Throws: `WhisperError.tokenBatch` (wrong batch, empty or ragged lists), `.tokenOutOfRange`,
    ///   `.sequenceTooLong` past the text context. The state is unchanged when it throws.
    public func decode(_ tokens: [[Int]], state: inout WhisperDecoderState, allPositions: Bool = false) throws -> Tensor {
        try forward(tokens, state: &state, allPositions: allPositions, recorder: nil)
    }

    /// `decode`, and with a `recorder` the raw cross-attention scores of its heads (word alignment).
    func forward(
        _ tokens: [[Int]], state: inout WhisperDecoderState, allPositions: Bool, recorder: WhisperCrossAttentionRecorder?
    ) throws -> Tensor {
        let c = config, w = weights
        let batch = state.batchSize
        guard tokens.count == batch else {
            throw WhisperError.tokenBatch("\(tokens.count) sequences for a state of batch size \(batch)")
        }
        let steps = tokens[0].count
        guard steps > 0, tokens.allSatisfy({ $0.count == steps }) else {
            throw WhisperError.tokenBatch("every sequence needs the same number (at least 1) of new tokens, got \(tokens.map(\.count))")
        }
        if let bad = tokens.joined().first(where: { !(0..<c.vocabularySize).contains($0) }) {
            throw WhisperError.tokenOutOfRange(token: bad, vocabularySize: c.vocabularySize)
        }
        let offset = state.length
        guard offset + steps <= c.textContext else {
            throw WhisperError.sequenceTooLong(length: offset + steps, limit: c.textContext)
        }
        require(state.layers == c.decoderLayers && state.audioContext == c.audioContext,
                     "WhisperDecoderState was made by another model")
        let width = c.width
        var x = embed(tokens, offset: offset)  // (batch x steps, width)
        state.reserve(offset + steps)
        for (index, layer) in w.decoderLayers.enumerated() {
            selfAttention(&x, layer.selfAttention, layer: index, state: &state, steps: steps)
            crossAttention(&x, layer.crossAttention, keyValues: state.crossKeyValues[index], layer: index, recorder: recorder)
            Self.mlp(&x, layer.mlp)
        }
        state.length = offset + steps

        let kept = allPositions ? steps : 1
        var rows = Tensor(zeros: [batch * kept, width])
        x.data.withUnsafeBufferPointer { src in
            rows.data.withUnsafeMutableBufferPointer { dst in
                for b in 0..<batch {
                    let first = (b * steps + steps - kept) * width
                    (dst.baseAddress! + b * kept * width).update(from: src.baseAddress! + first, count: kept * width)
                }
            }
        }
        let logits = w.outputProjection.product(w.decoderNorm(rows), bias: nil)  // (rows, vocab)
        return logits.reshaped([batch, kept, c.vocabularySize])
    }

    /// Token embeddings plus learned positions offset..<offset + steps: (batch x steps, width).
    private func embed(_ tokens: [[Int]], offset: Int) -> Tensor {
        let width = config.width, steps = tokens[0].count
        var x = Tensor(zeros: [tokens.count * steps, width])
        weights.decoderPositions.data.withUnsafeBufferPointer { pos in
            x.data.withUnsafeMutableBufferPointer { out in
                for (b, sequence) in tokens.enumerated() {
                    for (t, token) in sequence.enumerated() {
                        let row = out.baseAddress! + (b * steps + t) * width
                        weights.tokenEmbedding.copyRow(token, into: row)
                        let p = pos.baseAddress! + (offset + t) * width
                        for i in 0..<width { row[i] += p[i] }
                    }
                }
            }
        }
        return x
    }

    /// x += out(causal attention of LN(x) over the cache plus the new positions), appending K and V.
    private func selfAttention(
        _ x: inout Tensor, _ w: WhisperSelfAttentionWeights, layer: Int, state: inout WhisperDecoderState, steps: Int
    ) {
        let width = config.width, heads = state.heads, headDim = state.headDim
        let batch = state.batchSize, offset = state.length, capacity = state.capacity
        let keys = offset + steps
        let qkv = w.qkv(w.norm(x))  // (batch x steps, 3 width)
        var attended = Tensor(zeros: [batch * steps, width])
        var scores = [Float](repeating: 0, count: heads * steps * keys)  // per head for few-query steps
        qkv.data.withUnsafeBufferPointer { qp in
            state.keys[layer].withUnsafeMutableBufferPointer { kc in
                state.values[layer].withUnsafeMutableBufferPointer { vc in
                    let q = qp.baseAddress!
                    // Append this step's keys and values: cache row (b, h, offset + t).
                    for b in 0..<batch {
                        for t in 0..<steps {
                            let source = q + (b * steps + t) * 3 * width
                            for h in 0..<heads {
                                let slot = ((b * heads + h) * capacity + offset + t) * headDim
                                (kc.baseAddress! + slot).update(from: source + width + h * headDim, count: headDim)
                                (vc.baseAddress! + slot).update(from: source + 2 * width + h * headDim, count: headDim)
                            }
                        }
                    }
                    attended.data.withUnsafeMutableBufferPointer { op in
                        scores.withUnsafeMutableBufferPointer { sp in
                            for b in 0..<batch {
                                let cacheBase = b * heads * capacity * headDim
                                WhisperAttention.attend(
                                    query: WhisperHeadView(base: q + b * steps * 3 * width, rowStride: 3 * width, headOffset: headDim),
                                    key: WhisperHeadView(base: kc.baseAddress! + cacheBase, rowStride: headDim, headOffset: capacity * headDim),
                                    value: WhisperHeadView(base: vc.baseAddress! + cacheBase, rowStride: headDim, headOffset: capacity * headDim),
                                    out: op.baseAddress! + b * steps * width, outRowStride: width,
                                    heads: heads, headDim: headDim, queries: steps, keys: keys,
                                    causalOffset: offset, scores: sp.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        x.add(w.out(attended))
    }

    /// x += out(attention of LN(x) over the window's encoder output). All sequences share the
    /// encoder output, so each head scores the whole batch's queries against its packed keys at once
    /// (`Kernels.attendPackedKeys`); heads run in parallel.
    private func crossAttention(
        _ x: inout Tensor, _ w: WhisperCrossAttentionWeights, keyValues: WhisperCrossKeyValues,
        layer: Int, recorder: WhisperCrossAttentionRecorder?
    ) {
        let width = config.width, heads = keyValues.heads, headDim = keyValues.headDim
        let queries = x.shape[0], keys = keyValues.count
        let q = w.query(w.norm(x))  // (batch x steps, width)
        recorder?.record(queries: q, keyValues: keyValues, layer: layer)
        var attended = Tensor(zeros: [queries, width])
        let scoresPerHead = queries * Kernels.packedKeysCount(keys: keys, dim: 1)
        var scores = [Float](repeating: 0, count: heads * scoresPerHead)
        let packedSize = keyValues.packedHeadSize, scale = 1 / Float(headDim).squareRoot()
        q.data.withUnsafeBufferPointer { qp in
            keyValues.packedKeys.withUnsafeBufferPointer { kp in
                keyValues.values.withUnsafeBufferPointer { vp in
                    attended.data.withUnsafeMutableBufferPointer { op in
                        scores.withUnsafeMutableBufferPointer { sp in
                            let q = qp.baseAddress!, k = kp.baseAddress!, v = vp.baseAddress!
                            let o = op.baseAddress!, s = sp.baseAddress!
                            ComputeThreads.forEachChunk(heads, minimumPerChunk: 1) { range in
                                for h in range {
                                    Kernels.attendPackedKeys(
                                        query: q + h * headDim, queryRowStride: width, queries: queries,
                                        packedKeys: k + h * packedSize, values: v + h * keys * headDim,
                                        count: keys, dim: headDim, scale: scale,
                                        scores: s + h * scoresPerHead, into: o + h * headDim, outRowStride: width)
                                }
                            }
                        }
                    }
                }
            }
        }
        x.add(w.out(attended))
    }
}
