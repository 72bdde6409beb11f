import Foundation
import LoomTensor

// Bidirectional multi-head self-attention over packed sequences, as BertSelfAttention
// (transformers/models/bert/modeling_bert.py) with a padding mask: every sequence attends only to its
// own tokens. Packing the sequences end to end without padding gives the same result as the masked
// padded batch for every real token (masked keys get weight exp(-inf) = 0), and wastes no work.

enum BERTAttention {
    /// Context (tokens, H) from stacked projections `qkv` (tokens, 3H) laid out [q | k | v] per row.
    ///
    /// `sequences` are contiguous token ranges covering the rows. (sequence, head) pairs run in
    /// parallel; each pair writes its own (length, headDim) block of the output, so the result does
    /// not depend on the thread count.
    static func context(qkv: Tensor, sequences: [Range<Int>], heads: Int, headDim: Int) -> Tensor {
        let hidden = heads * headDim
        let stride = 3 * hidden
        let tokens = qkv.shape[0]
        var out = Tensor(zeros: [tokens, hidden])
        let longest = sequences.map(\.count).max() ?? 0
        if tokens == 0 || longest == 0 { return out }
        let scale = 1 / Float(headDim).squareRoot()
        let pairs = sequences.count * heads
        // Longest first, so a chunk of pairs holds similar work; the order of pairs does not change results.
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        qkv.data.withUnsafeBufferPointer { qkvBuffer in
            out.data.withUnsafeMutableBufferPointer { outBuffer in
                let base = qkvBuffer.baseAddress!
                let result = outBuffer.baseAddress!
                ComputeThreads.forEachChunk(pairs, minimumPerChunk: 1) { range in
                    // Per chunk: one row of scores and the head's keys transposed (headDim, length),
                    // so a row of scores is a sum over d of q[d] times a contiguous key row, eight
                    // keys at a time, instead of one short dot product per key.
                    var scores = [Float](repeating: 0, count: longest)
                    var keysT = [Float](repeating: 0, count: longest * headDim)
                    scores.withUnsafeMutableBufferPointer { scoreBuffer in
                        keysT.withUnsafeMutableBufferPointer { keyBuffer in
                            let p = scoreBuffer.baseAddress!
                            let kt = keyBuffer.baseAddress!
                            for pair in range {
                                let sequence = sequences[order[pair / heads]]
                                let head = pair % heads
                                let length = sequence.count
                                let q = base + sequence.lowerBound * stride + head * headDim
                                let k = q + hidden
                                let v = q + 2 * hidden
                                let o = result + sequence.lowerBound * hidden + head * headDim
                                for j in 0..<length {
                                    let kj = k + j * stride
                                    for d in 0..<headDim { kt[d * length + j] = kj[d] }
                                }
                                for i in 0..<length {
                                    scoreRow(q + i * stride, keysT: kt, length: length, headDim: headDim, scale: scale, into: p)
                                    // Vectorized exp (VectorMath) over the row.
                                    Kernels.softmax(p, rows: 1, dim: length)
                                    weightedSum(p, values: v, stride: stride, length: length, headDim: headDim, into: o + i * hidden)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// out[j] = scale * sum over d of q[d] kt[d * length + j], for j in 0..<length.
    @inline(__always)
    static func scoreRow(_ q: UnsafePointer<Float>, keysT kt: UnsafePointer<Float>, length: Int, headDim: Int,
                         scale: Float, into out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= length {
            var acc = SIMD8<Float>()
            for d in 0..<headDim {
                acc += SIMD8(repeating: q[d]) * UnsafeRawPointer(kt + d * length + j).loadUnaligned(as: SIMD8<Float>.self)
            }
            UnsafeMutableRawPointer(out + j).storeBytes(of: acc * scale, as: SIMD8<Float>.self)
            j += 8
        }
        while j < length {
            var sum: Float = 0
            for d in 0..<headDim { sum += q[d] * kt[d * length + j] }
            out[j] = sum * scale
            j += 1
        }
    }

    /// out[d] = sum over j of weights[j] v[j * stride + d], for d in 0..<headDim.
    @inline(__always)
    static func weightedSum(_ weights: UnsafePointer<Float>, values v: UnsafePointer<Float>, stride: Int, length: Int,
                            headDim: Int, into out: UnsafeMutablePointer<Float>) {
        var d = 0
        while d + 8 <= headDim {
            var acc = SIMD8<Float>()
            for j in 0..<length {
                acc += SIMD8(repeating: weights[j]) * UnsafeRawPointer(v + j * stride + d).loadUnaligned(as: SIMD8<Float>.self)
            }
            UnsafeMutableRawPointer(out + d).storeBytes(of: acc, as: SIMD8<Float>.self)
            d += 8
        }
        while d < headDim {
            var sum: Float = 0
            for j in 0..<length { sum += weights[j] * v[j * stride + d] }
            out[d] = sum
            d += 1
        }
    }
}
