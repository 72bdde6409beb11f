import Foundation
import LoomPostgres
@testable import LoomQueue
import LoomTestSupport
import Testing

/// The work queue against a real server: enqueue once per content hash, claims that never overlap,
/// leases that run out and are re-claimed, fenced finishes, retries into the dead letter.
@Suite("Work queue")
struct WorkQueueTests {
    func makeQueue(_ label: String = "queue", pipeline: String = "p") throws -> (queue: WorkQueue, url: URL)? {
        guard let cluster = PostgresTestCluster.shared() else { return nil }
        let url = try cluster.createDatabase(label)
        return (try WorkQueue(url: url, pipeline: pipeline, worker: "test"), url)
    }

    static func items(_ count: Int) -> [WorkInput] {
        (0..<count).map { WorkInput(path: "/in/\($0).wav", root: "/in", relativePath: "\($0).wav", kind: "audio", contentHash: String(format: "%064x", $0)) }
    }

    @Test func enqueuingAgainAddsNothing() throws {
        guard let (queue, url) = try makeQueue() else { return }
        #expect(try queue.enqueue(Self.items(5)) == 5)
        #expect(try queue.enqueue(Self.items(7)) == 2, "only the two new hashes")
        var copy = Self.items(1)
        copy[0].path = "/elsewhere/same-bytes.wav"
        #expect(try queue.enqueue(copy) == 0, "the same content under another name is the same item")
        #expect(try queue.counts() == WorkQueueCounts(ready: 7))
        #expect(try queue.claim(lease: 1).first?.input == Self.items(1)[0], "claimed as enqueued")
        let other = try WorkQueue(url: url, pipeline: "other")
        #expect(try other.enqueue(Self.items(3)) == 3, "another pipeline's queue is its own")
        #expect(try queue.counts().ready == 6 && other.counts().ready == 3)
        #expect(throws: WorkQueueError.self) { try queue.enqueue(Self.items(1), maxAttempts: 0) }
    }

    /// Three workers claiming at once, each on its own connection: every item is handed out once.
    @Test func concurrentClaimsNeverOverlap() async throws {
        guard let (queue, url) = try makeQueue() else { return }
        try queue.enqueue(Self.items(30))
        let workers = try (0..<3).map { try WorkQueue(url: url, pipeline: "p", worker: "w\($0)") }
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for worker in workers {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let claims = try worker.claim(limit: 2, lease: 30)
                        if claims.isEmpty { return mine }
                        for claim in claims {
                            #expect(try worker.complete(claim))
                            mine.append(claim.id)
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 30 && Set(all).count == 30, "each item once")
        #expect(try queue.counts() == WorkQueueCounts(done: 30))
    }

    /// A worker that stalls past its lease loses the item: another claims it (attempt 2) and the
    /// stalled one's late finish, results included, commits nothing.
    @Test func aLateFinishAfterALostLeaseCommitsNothing() throws {
        guard let (queue, url) = try makeQueue() else { return }
        let db = try PostgresConnection(url: url)
        try db.query("CREATE TABLE results (content_hash text PRIMARY KEY, worker text NOT NULL)")
        try queue.enqueue(Self.items(1))
        let stalled = try #require(try queue.claim(lease: 0.2).first)
        #expect(stalled.attempt == 1)
        #expect(try queue.claim(lease: 30).isEmpty, "held while the lease lasts")
        Thread.sleep(forTimeInterval: 0.4)
        let other = try WorkQueue(url: url, pipeline: "p", worker: "second")
        let second = try #require(try other.claim(lease: 30).first)
        #expect(second.id == stalled.id && second.attempt == 2 && second.token != stalled.token)

        func write(_ name: String) -> (PostgresConnection) throws -> Void {
            { db in
                try db.query("INSERT INTO results VALUES ($1, $2) ON CONFLICT (content_hash) DO UPDATE SET worker = EXCLUDED.worker",
                             [.text(stalled.input.contentHash), .text(name)])
            }
        }
        #expect(try queue.heartbeat(stalled, lease: 30) == false, "its heartbeat tells it the item is gone")
        #expect(try queue.complete(stalled, results: write("stalled")) == false)
        #expect(try db.query("SELECT count(*) FROM results").int(0, 0) == 0, "the rejected finish wrote no result")
        #expect(try other.complete(second, results: write("second")))
        #expect(try db.query("SELECT worker FROM results").string(0, 0) == "second")
        #expect(try other.complete(second), "finishing again (a retried commit) is still finished")
        #expect(try queue.counts() == WorkQueueCounts(done: 1))
    }

    @Test func heartbeatsKeepTheLease() throws {
        guard let (queue, url) = try makeQueue() else { return }
        try queue.enqueue(Self.items(1))
        let claim = try #require(try queue.claim(lease: 0.5).first)
        let other = try WorkQueue(url: url, pipeline: "p", worker: "other")
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.2)
            #expect(try queue.heartbeat(claim, lease: 0.5))
            #expect(try other.claim(lease: 30).isEmpty)
        }
        #expect(try queue.complete(claim))
    }

    /// Failures retry (after the backoff) until max_attempts, then the item is dead with its last
    /// error; retry-dead gives it fresh attempts.
    @Test func failuresRetryThenEndDeadWithTheirError() throws {
        guard let (queue, _) = try makeQueue() else { return }
        try queue.enqueue(Self.items(1), maxAttempts: 3)
        let noWait = RetryBackoff(base: 0, cap: 0)
        for attempt in 1...3 {
            let claim = try #require(try queue.claim(lease: 30).first, "attempt \(attempt)")
            #expect(claim.attempt == attempt)
            #expect(try queue.fail(claim, error: "corrupt input (attempt \(attempt))", backoff: noWait) == (attempt < 3 ? .retrying : .dead))
        }
        #expect(try queue.claim(lease: 30).isEmpty)
        #expect(try queue.counts() == WorkQueueCounts(dead: 1))
        #expect(try queue.dead() == [DeadWork(path: "/in/0.wav", attempts: 3, lastError: "corrupt input (attempt 3)")])

        #expect(try queue.retryDead() == 1)
        let again = try #require(try queue.claim(lease: 30).first)
        #expect(again.attempt == 1)
        // With a backoff the item waits before it can be claimed again.
        #expect(try queue.fail(again, error: "still bad", backoff: RetryBackoff(base: 60, cap: 600)) == .retrying)
        #expect(try queue.fail(again, error: "twice", backoff: RetryBackoff()) == .lost, "that claim is over")
        #expect(try queue.claim(lease: 30).isEmpty && queue.counts().ready == 1)
        #expect(RetryBackoff(base: 5, cap: 600).delay(afterAttempt: 3) == 20 && RetryBackoff(base: 5, cap: 30).delay(afterAttempt: 9) == 30)
    }

    /// A lease that runs out on the last attempt makes the item dead, naming the worker.
    @Test func aLeaseLostOnTheLastAttemptIsDead() throws {
        guard let (queue, _) = try makeQueue() else { return }
        try queue.enqueue(Self.items(1), maxAttempts: 1)
        _ = try #require(try queue.claim(lease: 0.1).first)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try queue.claim(lease: 30).isEmpty)
        let dead = try queue.dead()
        #expect(dead.count == 1 && dead[0].lastError == "its worker (test) stopped or stalled past its lease on attempt 1", "\(dead)")
    }

    @Test func releaseGivesBackWithoutCountingAndCancelStopsAll() throws {
        guard let (queue, _) = try makeQueue() else { return }
        try queue.enqueue(Self.items(3))
        let first = try #require(try queue.claim(lease: 30).first)
        #expect(try queue.release(first))
        let again = try #require(try queue.claim(lease: 30).first)
        #expect(again.id == first.id && again.attempt == 1, "a released item is not an attempt")
        #expect(try queue.cancel() == 3)
        #expect(try queue.complete(again) == false, "a cancelled item's finish commits nothing")
        #expect(try queue.counts() == WorkQueueCounts(cancelled: 3))
        #expect(try queue.claim(lease: 30).isEmpty)
    }
}
