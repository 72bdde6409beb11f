import Foundation
import LoomTensor

/// One run over a `LlamaModel`: the KV cache (keys and values of every layer for up to `capacity`
/// positions), the position reached, and scratch buffers. Not thread-safe: use one per generation.
///
/// Feed the prompt with `forward(tokens:)` (or `forward(prompt:)` when image/audio embeddings stand
/// between the text tokens), then one token at a time with `decode(_:into:)`, which allocates nothing.
public final class LlamaSession {
    public let model: LlamaModel
    /// Positions the cache holds.
    public let capacity: Int
    /// Positions already in the cache; the next token goes here.
    public private(set) var position = 0
    /// How activations meet Q8_0/Q4_0/Q4_1 weights in single-position passes (`decode`):
    /// `.int8` (llama.cpp's integer products, ~3.5x faster than float here) or `.float32` (exact).
    public var decodeActivations: ActivationPrecision = .int8
    /// The same for passes over several positions (prompts). `.float32` (dequantized weight tiles
    /// and sgemm, exact) by default: as fast as `.int8` near 400 positions on 2 AVX2 cores, and
    /// the prompt sets the KV cache every later token reads. `.int8` is much faster for short
    /// prompts (no dequantization of every weight) but moves SmolLM2's logits by up to ~1.2.
    public var promptActivations: ActivationPrecision = .float32

    private let keyCache: Buffer  // (layers, kvHeads, capacity, headDim)
    private let valueCache: Buffer
    private var scratch: Scratch

    init(model: LlamaModel, capacity: Int) {
        self.model = model
        self.capacity = capacity
        let c = model.config
        keyCache = Buffer(c.numHiddenLayers * c.numKeyValueHeads * capacity * c.headDim)
        valueCache = Buffer(c.numHiddenLayers * c.numKeyValueHeads * capacity * c.headDim)
        scratch = Scratch(config: c, tokens: 1, allLogits: false)
    }

    /// Forgets every position (the cache is overwritten from position 0).
    public func reset() { position = 0 }

    /// Runs `ids` after the cached positions. Returns the logits of the last position (vocab), or
    /// of every new position (T, vocab) with `allLogits`.
    public func forward(tokens ids: [Int], allLogits: Bool = false) throws -> Tensor {
        try model.checkTokens(ids)
        let hidden = model.config.hiddenSize
        return try forward(count: ids.count, allLogits: allLogits) { x in
            for (t, id) in ids.enumerated() { model.weights.embedding.dequantizeRow(id, into: x + t * hidden) }
        }
    }

    /// Runs input embeddings (T, hidden), e.g. `model.embed(ids)`.
    public func forward(embeddings: Tensor, allLogits: Bool = false) throws -> Tensor {
        let hidden = model.config.hiddenSize
        guard embeddings.rank == 2, embeddings.shape[1] == hidden, embeddings.shape[0] > 0 else {
            throw LlamaInputError("input embeddings must be (T, \(hidden)) with T > 0, got \(embeddings.shape)")
        }
        return try forward(count: embeddings.shape[0], allLogits: allLogits) { x in
            embeddings.data.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// Runs `count` new positions whose input rows `fill` writes into the (count, hidden) buffer it gets:
    /// the one entry for token ids, embeddings and multimodal prompts. `fill` must not fail; check inputs first.
    func forward(count: Int, allLogits: Bool, fill: (UnsafeMutablePointer<Float>) -> Void) throws -> Tensor {
        try checkRoom(count)
        prepare(tokens: count, allLogits: allLogits)
        fill(scratch.x.pointer)
        return run(count: count, allLogits: allLogits)
    }

    /// One new token; writes the next-token logits (vocab floats) into `logits`. Allocates nothing.
    public func decode(_ id: Int, into logits: UnsafeMutableBufferPointer<Float>) throws {
        guard id >= 0, id < model.config.vocabSize else { try model.checkTokens([id]); return }
        guard logits.count >= model.config.vocabSize, let out = logits.baseAddress else {
            throw LlamaInputError("decode needs room for \(model.config.vocabSize) logits, got \(logits.count)")
        }
        try checkRoom(1)
        model.weights.embedding.dequantizeRow(id, into: scratch.x.pointer)
        layers(count: 1)
        finalLogits(count: 1, allLogits: false, into: out)
    }

    /// `decode(_:into:)` returning a new array.
    public func decode(_ id: Int) throws -> [Float] {
        var logits = [Float](repeating: 0, count: model.config.vocabSize)
        try logits.withUnsafeMutableBufferPointer { try decode(id, into: $0) }
        return logits
    }

    private func checkRoom(_ count: Int) throws {
        guard count > 0 else { throw LlamaInputError("nothing to run: no tokens given") }
        guard position + count <= capacity else {
            throw LlamaInputError("the session holds \(capacity) positions; \(position) are used and \(count) more do not fit (make a session with a larger maxTokens, or reset it)")
        }
    }

    /// Grows the scratch for a batch of `tokens` (prompts only; decode reuses the one-token scratch).
    private func prepare(tokens: Int, allLogits: Bool) {
        if scratch.tokens < tokens || (allLogits && !scratch.allLogits) {
            scratch = Scratch(config: model.config, tokens: max(tokens, scratch.tokens), allLogits: allLogits || scratch.allLogits)
        }
    }

    private func run(count: Int, allLogits: Bool) -> Tensor {
        layers(count: count)
        let vocab = model.config.vocabSize
        var out = Tensor(zeros: allLogits ? [count, vocab] : [vocab])
        out.data.withUnsafeMutableBufferPointer { finalLogits(count: count, allLogits: allLogits, into: $0.baseAddress!) }
        return out
    }

    /// Every decoder layer over `count` new positions in `scratch.x`; advances `position`.
    private func layers(count n: Int) {
        let c = model.config
        let (hidden, d, heads, kvHeads, ffn) = (c.hiddenSize, c.headDim, c.numAttentionHeads, c.numKeyValueHeads, c.intermediateSize)
        let s = scratch
        let start = position
        let half = d / 2
        let precision = precision(positions: n)
        for t in 0..<n {  // rotary angles per new position, shared by every layer
            let p = Float(start + t)
            for i in 0..<half {
                let angle = p * model.inverseFrequencies[i]
                s.cosines.pointer[t * half + i] = cosf(angle)
                s.sines.pointer[t * half + i] = sinf(angle)
            }
        }
        let layerStride = kvHeads * capacity * d
        for (l, layer) in model.weights.layers.enumerated() {
            Kernels.rmsNorm(s.x.pointer, weight: layer.attentionNorm, eps: c.rmsNormEps, rows: n, dim: hidden, into: s.normed.pointer)
            if n == 1 {  // one parallel region for the three projections
                QuantizedMatrix.multiply(vector: s.normed.pointer, activations: precision, layer.query, into: s.q.pointer,
                                         layer.key, into: s.k.pointer, layer.value, into: s.v.pointer)
            } else {
                layer.query.multiply(batch: s.normed.pointer, count: n, into: s.q.pointer, scratch: s.tile.pointer, activations: precision)
                layer.key.multiply(batch: s.normed.pointer, count: n, into: s.k.pointer, scratch: s.tile.pointer, activations: precision)
                layer.value.multiply(batch: s.normed.pointer, count: n, into: s.v.pointer, scratch: s.tile.pointer, activations: precision)
            }
            let keys = keyCache.pointer + l * layerStride, values = valueCache.pointer + l * layerStride
            for t in 0..<n {
                let cos = s.cosines.pointer + t * half, sin = s.sines.pointer + t * half
                LlamaKernels.rotate(s.q.pointer + t * heads * d, heads: heads, headDim: d, pairing: model.ropePairing, cosines: cos, sines: sin)
                LlamaKernels.rotate(s.k.pointer + t * kvHeads * d, heads: kvHeads, headDim: d, pairing: model.ropePairing, cosines: cos, sines: sin)
                for h in 0..<kvHeads {
                    let slot = (h * capacity + start + t) * d
                    (keys + slot).update(from: s.k.pointer + (t * kvHeads + h) * d, count: d)
                    (values + slot).update(from: s.v.pointer + (t * kvHeads + h) * d, count: d)
                }
            }
            LlamaKernels.attention(query: s.q.pointer, count: n, start: start, keys: keys, values: values, capacity: capacity,
                                   heads: heads, kvHeads: kvHeads, headDim: d, into: s.attention.pointer)
            layer.attentionOutput.multiply(batch: s.attention.pointer, count: n, into: s.normed.pointer, scratch: s.tile.pointer, activations: precision)
            for i in 0..<(n * hidden) { s.x.pointer[i] += s.normed.pointer[i] }

            Kernels.rmsNorm(s.x.pointer, weight: layer.mlpNorm, eps: c.rmsNormEps, rows: n, dim: hidden, into: s.normed.pointer)
            let g = s.gate.pointer, u = s.up.pointer
            if n == 1 {  // gate, up and SiLU(gate) * up in one parallel region
                QuantizedMatrix.multiplySwiGLU(vector: s.normed.pointer, activations: precision,
                                               gate: layer.gate, into: g, up: layer.up, into: u)
            } else {
                layer.gate.multiply(batch: s.normed.pointer, count: n, into: g, scratch: s.tile.pointer, activations: precision)
                layer.up.multiply(batch: s.normed.pointer, count: n, into: u, scratch: s.tile.pointer, activations: precision)
                FastKernels.swiglu(gate: g, up: u, count: n * ffn)  // SiLU(gate) * up
            }
            layer.down.multiply(batch: g, count: n, into: s.normed.pointer, scratch: s.tile.pointer, activations: precision)
            for i in 0..<(n * hidden) { s.x.pointer[i] += s.normed.pointer[i] }
        }
        position += n
    }

    private func precision(positions n: Int) -> ActivationPrecision {
        if n == 1 { return decodeActivations }
        return promptActivations
    }

    /// Final norm and output head: the last position's logits, or all `count` rows with `allLogits`.
    private func finalLogits(count n: Int, allLogits: Bool, into out: UnsafeMutablePointer<Float>) {
        let c = model.config
        let s = scratch
        let first = allLogits ? 0 : n - 1
        let rows = n - first
        let precision = precision(positions: n)  // the pass, not the rows kept
        let source = s.x.pointer + first * c.hiddenSize
        Kernels.rmsNorm(source, weight: model.weights.finalNorm, eps: c.rmsNormEps, rows: rows, dim: c.hiddenSize, into: s.normed.pointer)
        model.weights.output.multiply(batch: s.normed.pointer, count: rows, into: out, scratch: s.outputTile.pointer, activations: precision)
    }
}

/// A fixed-size, zero-filled float buffer owned by a session. From calloc: large buffers (the KV
/// cache holds every position up to the session's capacity) come as untouched zero pages, so
/// memory is only used for the positions actually written.
final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        guard let raw = calloc(max(1, count), MemoryLayout<Float>.stride) else {
            fatalError("out of memory allocating \(count) floats for a Llama session")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    }
    deinit { free(pointer) }
}

/// Activations for a batch of `tokens` positions.
final class Scratch {
    let tokens: Int
    let allLogits: Bool
    let x, normed, q, k, v, attention, gate, up, cosines, sines, tile, outputTile: Buffer

    init(config c: LlamaConfig, tokens n: Int, allLogits: Bool) {
        tokens = n
        self.allLogits = allLogits
        let qDim = c.numAttentionHeads * c.headDim, kvDim = c.numKeyValueHeads * c.headDim
        x = Buffer(n * c.hiddenSize)
        normed = Buffer(n * max(c.hiddenSize, qDim))
        q = Buffer(n * qDim)
        k = Buffer(n * kvDim)
        v = Buffer(n * kvDim)
        attention = Buffer(n * qDim)
        gate = Buffer(n * c.intermediateSize)
        up = Buffer(n * c.intermediateSize)
        cosines = Buffer(n * c.headDim / 2)
        sines = Buffer(n * c.headDim / 2)
        // Dequantized tiles for batched products (none needed for a single position).
        tile = Buffer(n > 1 ? QuantizedMatrixTile.floats(cols: max(c.hiddenSize, c.intermediateSize, qDim)) : 1)
        outputTile = Buffer(n > 1 && allLogits ? QuantizedMatrixTile.floats(cols: c.hiddenSize) : 1)
    }
}

enum QuantizedMatrixTile {
    static func floats(cols: Int) -> Int { QuantizedMatrix.tileRows * cols }
}
