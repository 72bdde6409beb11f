import CLoomKernels
import CLoomMath
import Dispatch
import Foundation

/// The number of threads Loom's numeric code uses: OpenBLAS GEMM and our own row-parallel loops.
///
/// The default is the number of active cores. The CLI's `--threads` calls `set(_:)` once at start-up;
/// everything after reads `count`. Results never depend on the count: parallel loops split work by
/// whole rows, and each row is computed by one thread in a fixed order.
public enum ComputeThreads {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var count = 1  // guarded by lock
    }

    /// Created on first use (Swift runs a static initializer once, thread-safely), which also gives
    /// OpenBLAS the default, so GEMM never runs with a count other than ours.
    private static let state: State = {
        let state = State()
        state.count = max(1, ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(Int32(clamping: state.count))
        return state
    }()

    /// Threads in use (at least 1).
    public static var count: Int {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.count
    }

    /// Applies the default count if nothing has yet; `BLAS.sgemm` calls it before each product.
    @inline(__always)
    static func applyDefaultIfNeeded() { _ = state }

    /// Uses `n` threads from now on (values below 1 mean 1), for OpenBLAS and for our loops.
    public static func set(_ n: Int) {
        state.lock.lock()
        defer { state.lock.unlock() }
        apply(n)
    }

    /// OpenBLAS's own account of its build and the kernels it picked for this CPU (for `--version`).
    public static var blasDescription: String {
        "\(String(cString: openblas_get_config())), core \(String(cString: openblas_get_corename()))"
    }

    /// The thread count OpenBLAS itself reports, to check that `set(_:)` reached it.
    public static var blasThreads: Int {
        Int(openblas_get_num_threads())
    }

    /// Caller holds the lock.
    private static func apply(_ n: Int) {
        let n = max(1, n)
        state.count = n
        openblas_set_num_threads(Int32(clamping: n))
    }

    /// Runs `body` over `0..<total` split into contiguous chunks, in parallel when the work is big enough.
    ///
    /// `minimumPerChunk` is how many items make a chunk worth a thread (e.g. rows of a norm); below
    /// `2 * minimumPerChunk` items, or with one thread, `body` runs once on the caller's thread.
    /// `body` must only write to the outputs of its own range. Do not call OpenBLAS inside `body`:
    /// its own threads would multiply with ours.
    ///
    /// Many threads may call it at once (two pipeline items, two requests on one shared model): the
    /// spinning C pool serves one region at a time, and the other callers' regions run on Dispatch,
    /// which is slower per region (see the comment where that happens) but gives the same results.
    public static func forEachChunk(
        _ total: Int, minimumPerChunk: Int, _ body: (Range<Int>) -> Void
    ) {
        guard total > 0 else { return }
        let chunks = min(count, total / max(1, minimumPerChunk))
        if chunks <= 1 {
            body(0..<total)
            return
        }
        // Kernels hand in closures over raw buffers, which are not Sendable. Each chunk writes a
        // disjoint range and the pool (or concurrentPerform) returns only after every chunk, so
        // sharing is safe.
        withoutActuallyEscaping(body) { body in
            var job = ChunkJob(body: body, total: total, chunks: chunks)
            let ran = withUnsafeMutablePointer(to: &job) { job in
                loom_pool_run(Int32(chunks), { context, index in
                    let job = context!.assumingMemoryBound(to: ChunkJob.self)
                    job.pointee.run(Int(index))
                }, job)
            }
            if ran != 0 {
                // The slower path, on purpose. The pool serves one caller at a time and is busy:
                // another thread is in a region (a second pipeline item or request, maybe on the same
                // model), or this region is nested inside a pool task. Waiting for the pool would
                // serialize independent callers (and deadlock a nested one), so Dispatch's shared
                // threads run this region instead. Each region then pays a thread wake-up (5-50 us)
                // instead of the pool's spin hand-off: the second of two concurrent Llama decoders
                // loses that on each of a token's ~150 regions. Chunk i covers the same items on
                // either path, so results do not depend on which one ran.
                let shared = UncheckedSendable(job)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in shared.value.run(chunk) }
            }
        }
    }

    /// Sends the pool's spinning workers to sleep; called before OpenBLAS starts its own threads.
    @inline(__always)
    public static func parkWorkers() { loom_pool_park() }
}

/// One `forEachChunk` region: chunk `i` of `chunks` covers items [total * i / chunks, total * (i+1) / chunks).
private struct ChunkJob {
    let body: (Range<Int>) -> Void
    let total: Int
    let chunks: Int

    @inline(__always)
    func run(_ chunk: Int) {
        body((total * chunk / chunks)..<(total * (chunk + 1) / chunks))
    }
}

/// A value shared across the threads of one `forEachChunk` call (see the comment there).
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
