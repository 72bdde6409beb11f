import Foundation
import LoomTensor

// Rotary embeddings and causal grouped-query attention over a session's KV cache, on raw buffers
// so the decode loop allocates nothing.

enum LlamaKernels {
    /// Rotates `heads` heads of `headDim` features at `x` (one position) by the angles whose
    /// cos/sin are in `cosines`/`sines` (headDim / 2 each).
    /// `.halves`: pairs (i, i + d/2), transformers' `apply_rotary_pos_emb` with `rotate_half`.
    /// `.adjacent`: pairs (2i, 2i + 1), ggml's `ggml_rope` in normal mode.
    @inline(__always)
    static func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, pairing: LlamaRopePairing,
                       cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>) {
        let half = headDim / 2
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let (a, b) = pairing == .halves ? (i, i + half) : (2 * i, 2 * i + 1)
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * cosines[i] - x1 * sines[i]
                v[b] = x1 * cosines[i] + x0 * sines[i]
            }
        }
    }

    /// Attention for `count` queries at positions start..<start+count. Query t attends cached
    /// positions 0...start+t (causal). q: (count, heads * d); cache k/v: (kvHeads, capacity, d);
    /// out: (count, heads * d). `scores` holds heads * capacity floats. Query head h reads kv head
    /// h / (heads / kvHeads), as transformers' `repeat_kv`.
    static func attention(query q: UnsafePointer<Float>, count: Int, start: Int,
                          keys: UnsafePointer<Float>, values: UnsafePointer<Float>, capacity: Int,
                          heads: Int, kvHeads: Int, headDim d: Int,
                          scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let group = heads / kvHeads
        let scale = 1 / Float(d).squareRoot()
        let work = count * (start + count) * d
        ComputeThreads.forEachChunk(heads, minimumPerChunk: work * heads < 1 << 15 ? heads : 1) { range in
            for h in range {
                let kh = keys + (h / group) * capacity * d
                let vh = values + (h / group) * capacity * d
                let s = scores + h * capacity
                for t in 0..<count {
                    let qv = q + t * heads * d + h * d
                    let visible = start + t + 1
                    var maximum = -Float.infinity
                    for j in 0..<visible {
                        let dot = QuantizedBlocks.dotF32(kh + j * d, qv, count: d) * scale
                        s[j] = dot
                        maximum = max(maximum, dot)
                    }
                    var total: Float = 0
                    for j in 0..<visible {
                        let e = expf(s[j] - maximum)
                        s[j] = e
                        total += e
                    }
                    let o = out + t * heads * d + h * d
                    for i in 0..<d { o[i] = 0 }
                    let inverse = 1 / total
                    for j in 0..<visible {
                        let w = s[j] * inverse
                        let vj = vh + j * d
                        for i in 0..<d { o[i] += w * vj[i] }
                    }
                }
            }
        }
    }
}
