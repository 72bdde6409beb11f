import CLoomKernels
import Foundation
import LoomTensor

// Bidirectional multi-head self-attention over packed sequences, as BertSelfAttention
// (transformers/models/bert/modeling_bert.py) with a padding mask: every sequence attends only to its
// own tokens. Packing the sequences end to end without padding gives the same result as the masked
// padded batch for every real token (masked keys get weight exp(-inf) = 0), and wastes no work.
// The arithmetic is CLoomKernels' `loom_encoder_attention` (encoder_attention.c).

enum BERTAttention {
    /// Context rows `out` (tokens, H) from stacked projections `qkv` (tokens, 3H) laid out [q | k | v]
    /// per row, with the projection biases `qkvBias` (3H) when the product left them out.
    ///
    /// Each (sequence, head) pair writes its own block of `out`, so the result does not depend on the
    /// thread count or on which thread runs a pair.
    static func context(qkv: UnsafePointer<Float>, qkvBias: UnsafePointer<Float>?, sequences: [Range<Int>], heads: Int,
                        headDim: Int, into out: UnsafeMutablePointer<Float>) {
        let hidden = heads * headDim
        let longest = sequences.map(\.count).max() ?? 0
        if longest == 0 { return }
        let scale = 1 / Float(headDim).squareRoot()
        let plan = schedule(sequences.map(\.count), heads: heads, threads: ComputeThreads.count)
        let scratchCount = Int(loom_encoder_attention_scratch(Int64(longest), Int64(headDim)))
        ComputeThreads.forEachChunk(plan.count, minimumPerChunk: 1) { range in
            var scratch = [Float](repeating: 0, count: scratchCount)
            scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                for worker in range {
                    for pair in plan[worker] {
                        let sequence = sequences[pair / heads]
                        let head = pair % heads
                        let q = qkv + sequence.lowerBound * 3 * hidden + head * headDim
                        let bias = qkvBias.map { $0 + head * headDim }
                        loom_encoder_attention(
                            q, q + hidden, q + 2 * hidden, Int64(3 * hidden),
                            bias, bias.map { $0 + hidden }, bias.map { $0 + 2 * hidden },
                            Int64(sequence.count), Int64(headDim), scale, scratchBuffer.baseAddress!,
                            out + sequence.lowerBound * hidden + head * headDim, Int64(hidden))
                    }
                }
            }
        }
    }

    /// (sequence, head) pairs (pair = sequence * heads + head) split into `threads` lists of about
    /// equal work (length squared): longest first, each to the least loaded list. Contiguous ranges
    /// of a sorted list would give one thread all the long sequences.
    static func schedule(_ lengths: [Int], heads: Int, threads: Int) -> [[Int]] {
        let threads = max(1, threads)
        var lists = [[Int]](repeating: [], count: threads)
        var loads = [Int](repeating: 0, count: threads)
        let order = lengths.indices.filter { lengths[$0] > 0 }.sorted { lengths[$0] > lengths[$1] }
        for sequence in order {
            for head in 0..<heads {
                let least = loads.indices.min { loads[$0] < loads[$1] }!
                lists[least].append(sequence * heads + head)
                loads[least] += lengths[sequence] * (lengths[sequence] + 8)
            }
        }
        return lists.filter { !$0.isEmpty }
    }
}
