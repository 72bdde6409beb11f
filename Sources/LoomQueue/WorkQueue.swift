import Foundation
import LoomPostgres

/// An input file to enqueue: where it is (its input folder and its path under it, as the pipeline's
/// walk found it), its media kind and the hash of its bytes.
public struct WorkInput: Sendable, Equatable {
    public var path: String
    public var root: String
    public var relativePath: String
    public var kind: String
    public var contentHash: String

    public init(path: String, root: String, relativePath: String, kind: String, contentHash: String) {
        (self.path, self.root, self.relativePath, self.kind, self.contentHash) = (path, root, relativePath, kind, contentHash)
    }
}

/// One claimed item: what to work on, and the token that proves the claim is still this worker's.
public struct WorkClaim: Sendable, Equatable {
    public let id: Int64
    public let input: WorkInput
    /// 1 for the first run; a retry or a re-claim after a lost lease counts up.
    public let attempt: Int
    /// A fresh UUID per claim: a worker whose lease ran out and was re-claimed holds an old one, so
    /// its heartbeat and its finish find no row and commit nothing (fencing, as River's
    /// JobSetStateIfRunning).
    public let token: String
}

/// How many items of a pipeline are in each state.
public struct WorkQueueCounts: Sendable, Equatable, CustomStringConvertible {
    public var ready = 0, running = 0, done = 0, dead = 0, cancelled = 0

    public init(ready: Int = 0, running: Int = 0, done: Int = 0, dead: Int = 0, cancelled: Int = 0) {
        (self.ready, self.running, self.done, self.dead, self.cancelled) = (ready, running, done, dead, cancelled)
    }

    public var description: String {
        "\(ready) ready, \(running) running, \(done) done, \(dead) dead, \(cancelled) cancelled"
    }
}

/// A dead item (the dead letter): it failed `max_attempts` times; `lastError` says why.
public struct DeadWork: Sendable, Equatable {
    public var path: String
    public var attempts: Int
    public var lastError: String
}

/// When a failed item runs again: after `base * 2^(attempt - 1)` seconds, at most `cap`.
public struct RetryBackoff: Sendable {
    public var base: Double
    public var cap: Double

    public init(base: Double = 5, cap: Double = 600) { (self.base, self.cap) = (base, cap) }

    public func delay(afterAttempt attempt: Int) -> Double {
        min(cap, base * pow(2, Double(max(attempt, 1) - 1)))
    }
}

/// A pipeline's work queue in PostgreSQL (`loom.work`): items are enqueued once per content hash,
/// claimed with `FOR UPDATE SKIP LOCKED` (workers never wait on each other's rows) under a lease
/// and a fresh token, kept by heartbeats, and finished only while the token holds. At-least-once
/// execution; with results written in the finishing transaction, exactly-once results.
/// One connection under a lock; a call that lost the connection reconnects (waiting up to
/// `reconnectSeconds` for the server, with backoff) and runs once more (each call is one transaction
/// and safe to repeat).
public final class WorkQueue: @unchecked Sendable {
    /// How long a call waits for a server that went away (a restart) before it fails.
    public static let reconnectSeconds = 120.0
    public let pipeline: String
    /// Who claims: written on the rows this worker holds (host and process id by default).
    public let worker: String
    public var location: String { db.location }
    private let lock = NSLock()
    private let db: PostgresConnection

    /// Connects to the queue of `pipeline` at `url`, making the table on first use.
    public init(url: URL, pipeline: String, worker: String? = nil) throws {
        self.pipeline = pipeline
        self.worker = worker ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        do {
            db = try PostgresConnection(url: url)
            try WorkQueueSchema.prepare(db)
        } catch let error as PostgresError {
            throw WorkQueueError(location: PostgresConnection.location(of: url), message: error.message)
        }
    }

    /// Runs `body` under the lock, in a transaction unless it is one statement (which commits alone,
    /// saving two round trips per call).
    private func run<T>(oneStatement: Bool = false, _ body: (PostgresConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        func attempt() throws -> T { oneStatement ? try body(db) : try db.transaction { try body(db) } }
        do {
            if !db.isConnected { try db.reconnect(within: Self.reconnectSeconds) }
            do { return try attempt() } catch let error as PostgresError where error.connectionLost {
                try db.reconnect(within: Self.reconnectSeconds)
                return try attempt()
            }
        } catch let error as PostgresError {
            throw WorkQueueError(location: db.location, message: error.message)
        }
    }

    /// Adds one item per input (`INSERT ... ON CONFLICT DO NOTHING` on pipeline and content hash:
    /// a file enqueued again, or a copy of its bytes, adds nothing); returns how many were new.
    @discardableResult
    public func enqueue(_ inputs: [WorkInput], maxAttempts: Int = 3) throws -> Int {
        guard maxAttempts > 0 else { throw WorkQueueError(location: location, message: "max_attempts must be at least 1, not \(maxAttempts)") }
        return try run(oneStatement: true) { db in
            try db.query("""
                INSERT INTO loom.work (pipeline, content_hash, path, input_root, relative_path, kind, max_attempts)
                SELECT $1, hash, path, root, relative, kind, $7
                FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS input(hash, path, root, relative, kind)
                ON CONFLICT (pipeline, content_hash) DO NOTHING
                """, [.text(pipeline), .texts(inputs.map(\.contentHash)), .texts(inputs.map(\.path)), .texts(inputs.map(\.root)),
                      .texts(inputs.map(\.relativePath)), .texts(inputs.map(\.kind)), .int(Int64(maxAttempts))]).affectedRows
        }
    }

    /// Claims up to `limit` items for `lease` seconds: ready ones whose backoff is over, and running
    /// ones whose lease ran out (their worker died or stalled). An item whose lease ran out on its
    /// last attempt is made dead by the same statement. One statement, so one round trip and no
    /// BEGIN/COMMIT: the two updates touch different rows (attempts below and at `max_attempts`).
    public func claim(limit: Int = 1, lease: Double) throws -> [WorkClaim] {
        try run(oneStatement: true) { db in
            let rows = try db.query("""
                WITH expired AS (
                    UPDATE loom.work SET state = 'dead', lease_until = NULL, finished_at = now(),
                        last_error = 'its worker (' || coalesce(worker, '?') || ') stopped or stalled past its lease on attempt ' || attempts
                    WHERE pipeline = $1 AND state = 'running' AND lease_until < now() AND attempts >= max_attempts
                    RETURNING id),
                claimed AS (
                    UPDATE loom.work SET state = 'running', attempts = attempts + 1, token = gen_random_uuid(), worker = $2,
                        lease_until = now() + make_interval(secs => $3)
                    WHERE id IN (
                        SELECT id FROM loom.work
                        WHERE pipeline = $1 AND attempts < max_attempts
                          AND ((state = 'ready' AND run_after <= now()) OR (state = 'running' AND lease_until < now()))
                        ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
                    RETURNING id, path, input_root, relative_path, kind, content_hash, attempts, token)
                SELECT * FROM claimed
                """, [.text(pipeline), .text(worker), .double(lease), .int(Int64(limit))])
            return try (0..<rows.count).map { row in
                let input = WorkInput(path: rows.string(row, 1) ?? "", root: rows.string(row, 2) ?? "", relativePath: rows.string(row, 3) ?? "",
                                      kind: rows.string(row, 4) ?? "", contentHash: rows.string(row, 5) ?? "")
                return WorkClaim(id: try rows.int(row, 0) ?? 0, input: input, attempt: Int(try rows.int(row, 6) ?? 0), token: rows.string(row, 7) ?? "")
            }.sorted { $0.id < $1.id }
        }
    }

    /// Extends the lease by `lease` seconds from now; false when the claim is no longer this
    /// worker's (re-claimed after its lease ran out, or cancelled): the worker should drop the item.
    public func heartbeat(_ claim: WorkClaim, lease: Double) throws -> Bool {
        try run(oneStatement: true) { db in
            try db.query("""
                UPDATE loom.work SET lease_until = now() + make_interval(secs => $3)
                WHERE id = $1 AND token = $2::uuid AND state = 'running'
                """, [.int(claim.id), .text(claim.token), .double(lease)]).affectedRows == 1
        }
    }

    /// How a writer of results in this queue's database finishes `claim` in its own transaction.
    public func finishing(_ claim: WorkClaim) -> ClaimFinish { ClaimFinish(claim: claim, database: location) }

    /// Marks the item done, only while the claim holds; false, with nothing committed, when it does
    /// not. With `results` (statements on the queue's connection) the two commit in one
    /// transaction. `results` must be idempotent (upserts keyed by the item): after a connection
    /// lost at commit the call runs again, and an item found done with this claim's token counts as
    /// finished. Without `results` it is one statement.
    public func complete(_ claim: WorkClaim, results: ((PostgresConnection) throws -> Void)? = nil) throws -> Bool {
        let finish = finishing(claim)
        do {
            if let results {
                try run { db in
                    try finish.markDone(on: db)
                    try results(db)
                }
            } else {
                try run(oneStatement: true) { db in try finish.markDone(on: db) }
            }
            return true
        } catch is ClaimLost {
            return false
        }
    }

    /// What became of a failed attempt.
    public enum FailOutcome: Sendable, Equatable {
        /// Ready again once the backoff is over.
        case retrying
        /// It had its `max_attempts`: a dead letter, with the error.
        case dead
        /// The claim no longer held (re-claimed or cancelled): nothing was recorded.
        case lost
    }

    /// Records a failed attempt: the item is ready again after `backoff`, or dead (with `error` as
    /// its last error) when it has had `max_attempts`.
    public func fail(_ claim: WorkClaim, error: String, backoff: RetryBackoff = RetryBackoff()) throws -> FailOutcome {
        try run(oneStatement: true) { db in
            let rows = try db.query("""
                UPDATE loom.work SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END,
                    run_after = now() + make_interval(secs => $4), lease_until = NULL, last_error = $3,
                    finished_at = CASE WHEN attempts >= max_attempts THEN now() END
                WHERE id = $1 AND token = $2::uuid AND state = 'running'
                RETURNING state
                """, [.int(claim.id), .text(claim.token), .text(error), .double(backoff.delay(afterAttempt: claim.attempt))])
            guard rows.count == 1 else { return .lost }
            return rows.string(0, 0) == "dead" ? .dead : .retrying
        }
    }

    /// Gives the item back unfinished without counting the attempt (a worker told to stop).
    public func release(_ claim: WorkClaim) throws -> Bool {
        try run(oneStatement: true) { db in
            try db.query("""
                UPDATE loom.work SET state = 'ready', attempts = attempts - 1, lease_until = NULL, token = NULL, run_after = now()
                WHERE id = $1 AND token = $2::uuid AND state = 'running'
                """, [.int(claim.id), .text(claim.token)]).affectedRows == 1
        }
    }

    public func counts() throws -> WorkQueueCounts {
        try run { db in
            let rows = try db.query("SELECT state, count(*) FROM loom.work WHERE pipeline = $1 GROUP BY state", [.text(pipeline)])
            var counts = WorkQueueCounts()
            for row in 0..<rows.count {
                let count = Int(try rows.int(row, 1) ?? 0)
                switch rows.string(row, 0) {
                case "ready": counts.ready = count
                case "running": counts.running = count
                case "done": counts.done = count
                case "dead": counts.dead = count
                case "cancelled": counts.cancelled = count
                default: break
                }
            }
            return counts
        }
    }

    /// The input folders (or files) the enqueuing runs walked: a worker mirrors its outputs below
    /// their common folder, as `loom run` over the same inputs does, whatever its own copy of the
    /// pipeline file names as inputs.
    public func inputRoots() throws -> [String] {
        try run(oneStatement: true) { db in
            let rows = try db.query("SELECT DISTINCT input_root FROM loom.work WHERE pipeline = $1 ORDER BY 1", [.text(pipeline)])
            return (0..<rows.count).compactMap { rows.string($0, 0) }
        }
    }

    /// The dead items, oldest first.
    public func dead() throws -> [DeadWork] {
        try run { db in
            let rows = try db.query("""
                SELECT path, attempts, coalesce(last_error, '') FROM loom.work WHERE pipeline = $1 AND state = 'dead' ORDER BY id
                """, [.text(pipeline)])
            return try (0..<rows.count).map { DeadWork(path: rows.string($0, 0) ?? "", attempts: Int(try rows.int($0, 1) ?? 0),
                                                       lastError: rows.string($0, 2) ?? "") }
        }
    }

    /// Makes every dead item ready again with fresh attempts; returns how many.
    @discardableResult
    public func retryDead() throws -> Int {
        try run(oneStatement: true) { db in
            try db.query("""
                UPDATE loom.work SET state = 'ready', attempts = 0, run_after = now(), token = NULL, finished_at = NULL
                WHERE pipeline = $1 AND state = 'dead'
                """, [.text(pipeline)]).affectedRows
        }
    }

    /// Cancels every item not finished; a worker running one commits nothing for it. Returns how many.
    @discardableResult
    public func cancel() throws -> Int {
        try run(oneStatement: true) { db in
            try db.query("""
                UPDATE loom.work SET state = 'cancelled', lease_until = NULL, finished_at = now()
                WHERE pipeline = $1 AND state IN ('ready', 'running')
                """, [.text(pipeline)]).affectedRows
        }
    }
}

/// Finishing one claim inside a transaction that also stores its results, so both commit or
/// neither does (the index step does this when the index is in the queue's database). A worker
/// whose lease ran out and was re-claimed, or whose item was cancelled, commits nothing.
public struct ClaimFinish: Sendable {
    public let claim: WorkClaim
    /// The queue's database (`PostgresConnection.location`): only results stored there can commit
    /// with the done mark.
    public let database: String

    /// Marks the item done on `db` (in the caller's transaction, if one is open) while the claim's
    /// token holds. An item already done under this token (the same commit, run again after its
    /// answer was lost) counts as done. Otherwise throws `ClaimLost`, so the caller rolls back.
    public func markDone(on db: PostgresConnection) throws {
        let marked = try db.query("""
            UPDATE loom.work SET state = 'done', lease_until = NULL, finished_at = now(), last_error = NULL
            WHERE id = $1 AND token = $2::uuid AND state = 'running'
            """, [.int(claim.id), .text(claim.token)]).affectedRows == 1
        if marked { return }
        let state = try db.query("SELECT state FROM loom.work WHERE id = $1 AND token = $2::uuid", [.int(claim.id), .text(claim.token)])
        guard state.count == 1 && state.string(0, 0) == "done" else { throw ClaimLost(path: claim.input.path, database: database) }
    }
}

/// A claim that no longer held when its item finished: its lease ran out and another worker took
/// the item, or the item was cancelled. Nothing of this attempt was committed.
public struct ClaimLost: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var database: String
    public var description: String {
        "\(database): the claim on \(path) was lost (its lease ran out and another worker took it, or it was cancelled); "
            + "nothing of this attempt was committed. If items outlast their lease, give `loom worker` a longer --lease"
    }
}
