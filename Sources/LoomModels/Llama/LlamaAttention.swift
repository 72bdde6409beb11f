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
    /// out: (count, heads * d). Query head h reads kv head h / (heads / kvHeads), as transformers'
    /// `repeat_kv`.
    ///
    /// Work items are (kv head, query t, head in group) in that order, split into contiguous
    /// shares across threads: each share covers whole stretches of the causal triangle, so shares
    /// cost about the same, and consecutive heads of one group run as one `attendGroup` call that
    /// reads the cached keys and values once for all of them.
    static func attention(query q: UnsafePointer<Float>, count: Int, start: Int,
                          keys: UnsafePointer<Float>, values: UnsafePointer<Float>, capacity: Int,
                          heads: Int, kvHeads: Int, headDim d: Int, into out: UnsafeMutablePointer<Float>) {
        let group = heads / kvHeads
        let scale = 1 / Float(d).squareRoot()
        let items = heads * count
        // An item over `visible` positions costs ~2 * visible * d multiply-adds; below ~16K in
        // total a second thread costs more than it saves.
        let perItem = (start + count) * d
        ComputeThreads.forEachChunk(items, minimumPerChunk: max(1, 16384 / max(perItem, 1))) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: group * (start + count)) { scores in
                var item = range.lowerBound
                while item < range.upperBound {
                    let kv = item / (count * group), t = item % (count * group) / group, g = item % group
                    let run = min(group - g, range.upperBound - item)
                    let offset = t * heads * d + (kv * group + g) * d
                    FastKernels.attendGroup(query: q + offset, keys: keys + kv * capacity * d, values: values + kv * capacity * d,
                                            count: start + t + 1, headDim: d, group: run, scale: scale,
                                            scores: scores.baseAddress!, into: out + offset)
                    item += run
                }
            }
        }
    }
}
