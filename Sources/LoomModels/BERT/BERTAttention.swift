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
                    var scores = [Float](repeating: 0, count: longest)
                    scores.withUnsafeMutableBufferPointer { scoreBuffer in
                        let p = scoreBuffer.baseAddress!
                        for pair in range {
                            let sequence = sequences[order[pair / heads]]
                            let head = pair % heads
                            let length = sequence.count
                            let q = base + sequence.lowerBound * stride + head * headDim
                            let k = q + hidden
                            let v = q + 2 * hidden
                            let o = result + sequence.lowerBound * hidden + head * headDim
                            for i in 0..<length {
                                let qi = q + i * stride
                                var maxScore = -Float.infinity
                                for j in 0..<length {
                                    let kj = k + j * stride
                                    p[j] = dotProduct(qi, kj, count: headDim) * scale
                                    maxScore = max(maxScore, p[j])
                                }
                                var sum: Float = 0
                                for j in 0..<length {
                                    p[j] = expf(p[j] - maxScore)
                                    sum += p[j]
                                }
                                let inverse = 1 / sum
                                let oi = o + i * hidden
                                for d in 0..<headDim { oi[d] = 0 }
                                for j in 0..<length {
                                    let weight = p[j] * inverse
                                    let vj = v + j * stride
                                    for d in 0..<headDim { oi[d] += weight * vj[d] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Sum of a[i] b[i]. Eight lanes at a time: the compiler keeps a scalar sum in order (no
    /// reassociation), which would leave this, the attention's inner loop, unvectorized.
    @inline(__always)
    static func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var d = 0
        while d + 8 <= count {
            let x = UnsafeRawPointer(a + d).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + d).loadUnaligned(as: SIMD8<Float>.self)
            lanes += x * y
            d += 8
        }
        var sum = lanes.sum()
        while d < count {
            sum += a[d] * b[d]
            d += 1
        }
        return sum
    }
}
