import Foundation
import Synchronization

/// One model's work: a thread of its own that runs one request at a time, in arrival order, and a
/// bound on how many may wait. Model calls are long CPU work with no suspension points, so running
/// them on Swift's shared cooperative pool (two threads here) would stall every other request,
/// `/health` included; on this executor they stall only the requests for the same model.
final class WorkQueue: Sendable {
    let name: String
    /// Requests running or waiting that this queue admits; the next one gets 503.
    let capacity: Int
    let retryAfterSeconds: Int
    private let executor: ThreadExecutor
    private let admitted = Mutex(0)
    private let working = Mutex(0)

    init(name: String, maxWaiting: Int, retryAfterSeconds: Int) {
        self.name = name
        capacity = 1 + max(0, maxWaiting)
        self.retryAfterSeconds = retryAfterSeconds
        executor = ThreadExecutor(name: "loom-serve " + name)
    }

    /// Requests running or waiting now.
    var load: Int { admitted.withLock { $0 } }
    /// Requests running now (on the model's thread).
    var running: Int { working.withLock { $0 } }

    /// A place in the queue, held until `release()`; a full queue throws 503 with Retry-After.
    func admit() throws -> Ticket {
        let ok = admitted.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard ok else {
            throw APIError.unavailable("\(name) is busy: \(capacity) requests are running or waiting, its limit (loom serve --max-queue); retry shortly",
                                       retryAfter: retryAfterSeconds)
        }
        return Ticket(queue: self)
    }

    /// Runs `work` on the model's thread, holding a place in the queue for its duration.
    func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        let ticket = try admit()
        defer { ticket.release() }
        return try await perform(work)
    }

    /// Runs `work` on the model's thread; the caller holds a `Ticket` (a stream that outlives its handler).
    func perform<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) {
            working.withLock { $0 += 1 }
            defer { working.withLock { $0 -= 1 } }
            return try await work()
        }
    }

    final class Ticket: Sendable {
        private let queue: WorkQueue
        private let released = Mutex(false)
        fileprivate init(queue: WorkQueue) { self.queue = queue }

        /// A ticket dropped unreleased gives its place back: a stream whose body was never written
        /// (the client left before the response head went out) must not hold the model forever.
        deinit { release() }

        /// Gives the place back; a second call does nothing.
        func release() {
            let first = released.withLock { done in
                defer { done = true }
                return !done
            }
            if first { queue.admitted.withLock { $0 -= 1 } }
        }
    }
}

/// A task executor with one thread of its own, running jobs in the order they arrive.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(name: String) {
        // The thread holds the executor: both live as long as the process.
        let thread = Thread { self.runJobs() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// The thread's loop. The executor lives as long as the server, so the thread never ends.
    private func runJobs() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
