import LoomTensor

/// Per-run decoder state for one audio window: each layer's self-attention key/value cache for a
/// batch of sequences, and the cross-attention keys/values of the window's encoder output, computed
/// once by `WhisperModel.makeDecoderState` and reused by every step.
///
/// All sequences of a batch share the one encoder output: the batch is for beam search and best-of-N
/// sampling on one window. `reorder(beams:)` picks, per new row, which old row's cache it continues,
/// as openai-whisper's `rearrange_kv_cache`. A value type: copying a state is cheap (the arrays are
/// shared until one copy writes), so a caller may keep a snapshot to restart a window.
///
/// Cache layout per layer: (batch, heads, capacity, headDim), so one head's keys are contiguous rows.
/// Capacity grows by doubling up to the model's text context as tokens arrive.
public struct WhisperDecoderState: Sendable {
    /// Sequences decoded side by side.
    public private(set) var batchSize: Int
    /// Tokens already in the caches (the next token's position).
    public internal(set) var length: Int = 0

    let layers: Int
    let heads: Int
    let headDim: Int
    let maximumLength: Int
    private(set) var capacity: Int = 0
    /// Per layer, (batch, heads, capacity, headDim).
    var keys: [[Float]]
    var values: [[Float]]
    /// Per layer, the cross-attention keys (packed per head) and values of the window.
    let crossKeyValues: [WhisperCrossKeyValues]

    init(batchSize: Int, layers: Int, heads: Int, headDim: Int, maximumLength: Int,
         crossKeyValues: [WhisperCrossKeyValues]) {
        self.batchSize = batchSize
        self.layers = layers
        self.heads = heads
        self.headDim = headDim
        self.maximumLength = maximumLength
        self.crossKeyValues = crossKeyValues
        keys = Array(repeating: [], count: layers)
        values = Array(repeating: [], count: layers)
    }

    /// Encoder positions the cross-attention reads.
    public var audioContext: Int { crossKeyValues.first?.count ?? 0 }

    /// Continues row `beams[i]` of the current batch as row i; the batch size becomes `beams.count`.
    /// `[0, 0, 0, 0, 0]` expands a one-sequence prompt into five beams.
    /// - Throws: `WhisperError.beamIndex` for an empty list or an index outside 0..<batchSize.
    public mutating func reorder(beams: [Int]) throws {
        guard !beams.isEmpty else { throw WhisperError.beamIndex("no beams given") }
        if let bad = beams.first(where: { !(0..<batchSize).contains($0) }) {
            throw WhisperError.beamIndex("index \(bad) is outside the batch of \(batchSize)")
        }
        if beams == Array(0..<batchSize) { return }
        let row = heads * capacity * headDim
        for layer in 0..<layers where row > 0 {
            keys[layer] = Self.gather(keys[layer], rows: beams, rowSize: row)
            values[layer] = Self.gather(values[layer], rows: beams, rowSize: row)
        }
        batchSize = beams.count
    }

    /// Forgets every decoded token and sets the batch size, keeping the window's cross keys/values
    /// (e.g. to decode the same window again at another temperature).
    public mutating func reset(batchSize: Int = 1) throws {
        guard batchSize > 0 else { throw WhisperError.beamIndex("batch size \(batchSize) must be positive") }
        self.batchSize = batchSize
        length = 0
        capacity = 0
        keys = Array(repeating: [], count: layers)
        values = Array(repeating: [], count: layers)
    }

    /// Makes room for `needed` positions per sequence (doubling, at most the model's text context).
    mutating func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var newCapacity = max(64, capacity)
        while newCapacity < needed { newCapacity *= 2 }
        newCapacity = min(max(newCapacity, needed), maximumLength)
        for layer in 0..<layers {
            keys[layer] = regrown(keys[layer], to: newCapacity)
            values[layer] = regrown(values[layer], to: newCapacity)
        }
        capacity = newCapacity
    }

    /// The cache with each (batch, head) block widened from `capacity` to `newCapacity` rows.
    private func regrown(_ old: [Float], to newCapacity: Int) -> [Float] {
        var grown = [Float](repeating: 0, count: batchSize * heads * newCapacity * headDim)
        let oldBlock = capacity * headDim, newBlock = newCapacity * headDim, used = length * headDim
        if used > 0 {
            old.withUnsafeBufferPointer { src in
                grown.withUnsafeMutableBufferPointer { dst in
                    for block in 0..<(batchSize * heads) {
                        (dst.baseAddress! + block * newBlock).update(from: src.baseAddress! + block * oldBlock, count: used)
                    }
                }
            }
        }
        return grown
    }

    private static func gather(_ source: [Float], rows: [Int], rowSize: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * rowSize)
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, r) in rows.enumerated() {
                    (dst.baseAddress! + i * rowSize).update(from: src.baseAddress! + r * rowSize, count: rowSize)
                }
            }
        }
        return out
    }
}

/// One decoder layer's cross-attention keys and values for a window, laid out for
/// `Kernels.attendPackedKeys`: per head, the keys packed into panels (`Kernels.packKeys`) and the
/// values as contiguous (count, headDim) rows. Built once per window, read by every beam step.
struct WhisperCrossKeyValues: Sendable {
    /// Encoder positions.
    let count: Int
    let heads: Int
    let headDim: Int
    /// heads x packedKeysCount(count, headDim).
    let packedKeys: [Float]
    /// heads x count x headDim.
    let values: [Float]

    /// Floats of one head's packed keys.
    var packedHeadSize: Int { Kernels.packedKeysCount(keys: count, dim: headDim) }

    /// From the fused projection output (count, 2 x width): keys in columns [0, width), values in
    /// [width, 2 width), head h at columns h x headDim.
    init(keyValues: Tensor, heads: Int, headDim: Int) {
        let count = keyValues.shape[0], width = heads * headDim
        let packedSize = Kernels.packedKeysCount(keys: count, dim: headDim)
        var packed = [Float](repeating: 0, count: heads * packedSize)
        var values = [Float](repeating: 0, count: heads * count * headDim)
        keyValues.data.withUnsafeBufferPointer { kv in
            packed.withUnsafeMutableBufferPointer { pp in
                values.withUnsafeMutableBufferPointer { vp in
                    let source = kv.baseAddress!
                    for h in 0..<heads {
                        Kernels.packKeys(source + h * headDim, rowStride: 2 * width, count: count, dim: headDim,
                                         into: pp.baseAddress! + h * packedSize)
                        for j in 0..<count {
                            (vp.baseAddress! + (h * count + j) * headDim)
                                .update(from: source + j * 2 * width + width + h * headDim, count: headDim)
                        }
                    }
                }
            }
        }
        self.count = count
        self.heads = heads
        self.headDim = headDim
        packedKeys = packed
        self.values = values
    }
}
