import Foundation
import LoomTensor
import Testing

/// Tests that change the global thread count; serialized so they do not race each other.
@Suite(.serialized) struct ThreadsTests {
    @Test func setReachesOpenBLAS() {
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        #expect(before >= 1)
        ComputeThreads.set(1)
        #expect(ComputeThreads.count == 1)
        #expect(ComputeThreads.blasThreads == 1)
        ComputeThreads.set(2)
        #expect(ComputeThreads.count == 2)
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {  // OpenBLAS caps the count at its cores
            #expect(ComputeThreads.blasThreads == 2)
        }
        ComputeThreads.set(0)
        #expect(ComputeThreads.count == 1, "counts below 1 mean 1")
        // sgemm still gives the same product on one thread and on several.
        let a = Tensor(shape: [64, 96], data: (0..<(64 * 96)).map { Float($0 % 17) - 8 })
        let b = Tensor(shape: [96, 80], data: (0..<(96 * 80)).map { Float($0 % 13) - 6 })
        ComputeThreads.set(1)
        let serial = Tensor.matmul(a, b)
        ComputeThreads.set(4)
        #expect(Tensor.matmul(a, b) == serial, "integer-valued products are exact on any thread count")
    }

    @Test func forEachChunkCoversEveryItemOnce() {
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(3)
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { h in
            let base = h.baseAddress!
            ComputeThreads.forEachChunk(1000, minimumPerChunk: 10) { range in
                for i in range { base[i] += 1 }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    /// Many rows run across threads; results must not depend on the thread count.
    @Test func rowParallelResultsDoNotDependOnThreads() {
        let rows = 512, dim = 257
        var values = [Float](repeating: 0, count: rows * dim)
        var state: UInt32 = 12345
        for i in values.indices {  // a small LCG: deterministic values
            state = state &* 1_664_525 &+ 1_013_904_223
            values[i] = Float(state >> 8) / Float(1 << 24) * 8 - 4
        }
        let x = Tensor(shape: [rows, dim], data: values)
        let w = Tensor(shape: [dim], data: Array(values.prefix(dim)))
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(1)
        let serial = [x.softmax(), x.layerNorm(weight: w, bias: w), x.rmsNorm(weight: w), x.gelu(), x.silu()]
        ComputeThreads.set(4)
        let parallel = [x.softmax(), x.layerNorm(weight: w, bias: w), x.rmsNorm(weight: w), x.gelu(), x.silu()]
        #expect(serial == parallel)
    }
}
