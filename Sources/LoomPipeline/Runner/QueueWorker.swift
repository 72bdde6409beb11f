import Foundation
import LoomMedia
import LoomModelStore
import LoomQueue

/// How a queue worker's run went.
public struct QueueWorkSummary: Sendable {
    public var succeeded = 0
    /// Failed attempts (retried later, or dead).
    public var failed = 0
    /// Items that failed their last attempt here: dead letters.
    public var dead = 0
    /// Items whose claim was lost before they finished (lease ran out, cancelled): nothing committed.
    public var lost = 0
    /// Items given back unstarted or unfinished because the worker was told to stop.
    public var released = 0
    public var stepRuns: [String: Int] = [:]
    public var seconds = 0.0
}

/// The pipeline's inputs into its work queue: the same walk and content hashes as `loom run`, one
/// row per (pipeline, content hash), so enqueuing again adds nothing. Returns (files seen, added).
public func enqueueInputs(of pipeline: PreparedPipeline, into queue: WorkQueue, maxAttempts: Int) throws -> (seen: Int, added: Int) {
    let walker = PipelineInputs(inputs: pipeline.plan.spec.inputs, excluded: pipeline.plan.spec.outputs.folder)
    var batch: [WorkInput] = []
    var (seen, added) = (0, 0)
    for file in walker {
        seen += 1
        let hash = try SHA256.hex(reading: try InputFile.open(file.url))
        batch.append(WorkInput(path: file.url.path, root: file.root.path, relativePath: file.relativePath, kind: file.kind.rawValue,
                               contentHash: hash))
        if batch.count == 500 {
            added += try queue.enqueue(batch, maxAttempts: maxAttempts)
            batch.removeAll()
        }
    }
    if !batch.isEmpty { added += try queue.enqueue(batch, maxAttempts: maxAttempts) }
    return (seen, added)
}

/// `loom worker`: claims items of a pipeline's queue and runs each through the same step DAG as
/// `loom run` (ItemProcessor, with the output folder's step cache and writer), on `concurrency`
/// threads. Each claim is kept by a heartbeat every third of the lease; a failed item goes back with
/// backoff or, at its last attempt, to the dead letter; a finished one is marked done only while its
/// claim holds. When the pipeline's index is in the queue's database, the index step's transaction
/// marks the item done with its rows (`PipelineItem.finishing`): results and done commit together.
/// With `drain` the worker exits once nothing is left to claim or running elsewhere; `stop()`
/// (SIGTERM) lets each thread finish its item and claim no more.
public final class QueueWorker: @unchecked Sendable {
    let pipeline: PreparedPipeline
    let queue: WorkQueue
    let lease: Double
    let concurrency: Int
    let drain: Bool
    let backoff: RetryBackoff
    let progress: RunProgress
    private let lock = NSLock()
    private var stopped = false
    private var summary = QueueWorkSummary()

    public init(_ pipeline: PreparedPipeline, queue: WorkQueue, lease: Double, concurrency: Int, drain: Bool,
                backoff: RetryBackoff = RetryBackoff(), progress: RunProgress) {
        (self.pipeline, self.queue, self.lease, self.concurrency, self.drain) = (pipeline, queue, lease, concurrency, drain)
        (self.backoff, self.progress) = (backoff, progress)
    }

    /// Asks the threads to finish their items and stop claiming.
    public func stop() { lock.withLock { stopped = true } }
    private var isStopped: Bool { lock.withLock { stopped } }

    public func run() throws -> QueueWorkSummary {
        let started = Date()
        let waiting = try queue.counts()
        progress.start(total: waiting.ready + waiting.running)
        let processor = ItemProcessor(pipeline: pipeline, cache: StepCache(folder: pipeline.layout.cacheFolder))
        let threads = DispatchGroup()
        let firstError = ErrorBox()
        for _ in 0..<max(1, concurrency) {
            threads.enter()
            let thread = Thread { [self] in
                defer { threads.leave() }
                do { try work(processor) } catch { firstError.set(error); stop() }
            }
            thread.stackSize = 16 << 20  // as the runner's workers: Whisper's decoder keeps large frames
            thread.start()
        }
        threads.wait()
        progress.end()
        for step in pipeline.steps { try step.instance?.finish() }
        if let error = firstError.value { throw error }
        return lock.withLock {
            summary.seconds = Date().timeIntervalSince(started)
            return summary
        }
    }

    /// One thread: claim, run, finish, until stopped (or drained).
    private func work(_ processor: ItemProcessor) throws {
        while !isStopped {
            guard let claim = try queue.claim(limit: 1, lease: lease).first else {
                if drain {
                    let counts = try queue.counts()
                    if counts.running == 0 && counts.ready == 0 { return }
                }
                Thread.sleep(forTimeInterval: min(1, lease / 3))
                continue
            }
            if isStopped {
                _ = try queue.release(claim)
                lock.withLock { summary.released += 1 }
                return
            }
            let beat = Heartbeat(queue: queue, claim: claim, lease: lease)
            let itemStart = Date()
            let input = claim.input
            let item = PipelineItem(url: URL(fileURLWithPath: input.path), root: URL(fileURLWithPath: input.root, isDirectory: true),
                                    relativePath: input.relativePath, kind: MediaKind(rawValue: input.kind) ?? .audio,
                                    contentHash: input.contentHash, finishing: queue.finishing(claim))
            let outcome = processor.process(item)
            beat.stop()
            progress.itemDone(outcome, seconds: Date().timeIntervalSince(itemStart))
            let failed = try outcome.failure.map { try queue.fail(claim, error: "\($0)", backoff: backoff) }
            let held = try failed.map { $0 != .lost } ?? queue.complete(claim)
            lock.withLock {
                if !held { summary.lost += 1 } else if outcome.failure != nil { summary.failed += 1 } else { summary.succeeded += 1 }
                if failed == .dead { summary.dead += 1 }
                for step in outcome.computed { summary.stepRuns[step, default: 0] += 1 }
            }
        }
    }
}

/// Extends a claim's lease every third of it while the item runs, on its own thread.
private final class Heartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false

    init(queue: WorkQueue, claim: WorkClaim, lease: Double) {
        let thread = Thread { [self] in
            condition.lock()
            defer { condition.unlock() }
            while !done {
                _ = condition.wait(until: Date().addingTimeInterval(lease / 3))
                if done { break }
                condition.unlock()
                // A lost claim (false) or an unreachable server: the finish will tell; keep beating.
                _ = try? queue.heartbeat(claim, lease: lease)
                condition.lock()
            }
        }
        thread.start()
    }

    func stop() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }
}

private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ error: Error) { lock.withLock { if self.error == nil { self.error = error } } }
    var value: Error? { lock.withLock { error } }
}
