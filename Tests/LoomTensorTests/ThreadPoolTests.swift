import CLoomKernels
import Dispatch
import Foundation
import LoomTensor
import Testing

/// The spinning worker pool behind `ComputeThreads.forEachChunk` (Sources/CLoomKernels/thread_pool.c).
/// Serialized with the other thread-count tests: they set the global count.
@Suite(.serialized) struct ThreadPoolTests {
    /// Every index of every region runs exactly once, for regions of many sizes back to back (the
    /// decoder's pattern: hundreds of short regions in a row, with workers still spinning).
    @Test func everyPartRunsOnceAcrossManyRegions() {
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(4)
        for round in 0..<2000 {
            let total = 1 + round % 97
            var hits = [Int32](repeating: 0, count: total)
            hits.withUnsafeMutableBufferPointer { h in
                let base = h.baseAddress!
                ComputeThreads.forEachChunk(total, minimumPerChunk: 1) { range in
                    for i in range { base[i] += 1 }
                }
            }
            #expect(hits.allSatisfy { $0 == 1 }, "round \(round), \(total) items")
            if hits.contains(where: { $0 != 1 }) { return }
        }
        #expect(loom_pool_workers() >= 1, "regions of 2+ parts start pool workers")
    }

    /// Parked workers (as before an OpenBLAS product) sleep and still take the next region.
    @Test func parkedWorkersWakeForTheNextRegion() {
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(2)
        for round in 0..<200 {
            ComputeThreads.parkWorkers()
            if round % 50 == 0 { usleep(2_000) }  // long enough for the workers to reach the futex
            var sum = [Int](repeating: 0, count: 2)
            sum.withUnsafeMutableBufferPointer { s in
                let base = s.baseAddress!
                ComputeThreads.forEachChunk(64, minimumPerChunk: 32) { range in
                    base[range.lowerBound / 32] = range.reduce(0, +)
                }
            }
            #expect(sum[0] + sum[1] == 64 * 63 / 2)
        }
    }

    /// Two threads running regions at once (two pipeline items in flight), and a region started from
    /// inside a region: the pool serves one caller, the other falls back to Dispatch; nothing is lost
    /// and nothing deadlocks.
    @Test func concurrentAndNestedCallersAreServed() {
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(3)
        let callers = 4, rounds = 300, total = 48
        let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers * rounds)
        defer { results.deallocate() }
        results.initialize(repeating: 0)
        let shared = SendablePointer(results.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for round in 0..<rounds {
                let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: total)
                counts.initialize(repeating: 0)
                let base = counts.baseAddress!
                ComputeThreads.forEachChunk(total, minimumPerChunk: 4) { outer in
                    // A nested region over this part's items.
                    ComputeThreads.forEachChunk(outer.count, minimumPerChunk: 2) { inner in
                        for i in inner { base[outer.lowerBound + i] += 1 }
                    }
                }
                shared.value[caller * rounds + round] = counts.reduce(0, +)
                counts.deallocate()
            }
        }
        #expect(results.allSatisfy { $0 == total })
    }

    /// The C entry point's contract: inside a region the pool is busy, so a nested call answers -1
    /// at once and runs nothing (forEachChunk then falls back to Dispatch) instead of deadlocking.
    @Test func nestedPoolCallIsRefusedNotDeadlocked() {
        final class Box: @unchecked Sendable { var nestedStatus: Int32 = 99 }
        let box = Box()
        // Other suites run in parallel and may hold the pool for a moment (the outer call then answers
        // -1 itself): try until the outer region gets it.
        var status: Int32 = -1
        for _ in 0..<10_000 where status != 0 {
            status = loom_pool_run(2, { context, index in
                guard index == 0 else { return }  // only one part writes the box
                let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
                box.nestedStatus = loom_pool_run(2, { _, _ in fatalError("a refused region ran") }, nil)
            }, Unmanaged.passUnretained(box).toOpaque())
            if status != 0 { usleep(100) }
        }
        #expect(status == 0)
        #expect(box.nestedStatus == -1)
    }
}

private struct SendablePointer: @unchecked Sendable {
    let value: UnsafeMutablePointer<Int>
    init(_ value: UnsafeMutablePointer<Int>) { self.value = value }
}
