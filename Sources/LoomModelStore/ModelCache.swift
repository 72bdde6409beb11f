import Foundation

/// What one loaded model is: the file or folder its weights come from and the options that change the
/// loaded object (e.g. the threads of Whisper's log-mel front end). Requests with equal keys share
/// one instance.
public struct ModelKey: Hashable, Sendable, CustomStringConvertible {
    /// The weights' file or folder (`ModelLocation.url`), standardized.
    public let path: String
    /// Load options by name; empty for models that take none.
    public let options: [String: String]

    public init(_ url: URL, options: [String: String] = [:]) {
        path = url.standardizedFileURL.path
        self.options = options
    }

    public var description: String {
        guard !options.isEmpty else { return path }
        return path + " (" + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
    }
}

/// Loaded models of one type, shared by every caller in a process (pipeline runs, CLI commands, a
/// server). Each key loads once however many threads ask for it at the same time; other keys load
/// meanwhile, each on the thread that first asked for it. A failed load is remembered: every caller
/// gets the same error without reading the files again, until the entry is evicted.
///
/// A long-running process calls `evictIdle(olderThan:)` now and then to drop models (and failures)
/// nobody has asked for recently. Callers that still hold an evicted model keep using it; the next
/// request loads it again.
public final class ModelCache<Model: Sendable>: @unchecked Sendable {
    // @unchecked: `entries` is read and written only under `lock`; each entry guards its own state.
    // Lock order: `lock`, then an entry's lock (only `evictIdle`, which never waits for it).
    private let lock = NSLock()
    private var entries: [ModelKey: Entry] = [:]
    private let now: @Sendable () -> ContinuousClock.Instant
    private let onEvict: @Sendable (ModelKey) -> Void

    /// - Parameters:
    ///   - now: the clock last-use times are read from (tests pass one they move by hand).
    ///   - onEvict: told each key `evictIdle` drops, e.g. for a log line.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
                onEvict: @escaping @Sendable (ModelKey) -> Void = { _ in }) {
        self.now = now
        self.onEvict = onEvict
    }

    /// The model for `key`, loaded with `load` on this thread when no caller has loaded it yet.
    /// Callers of the same key wait for that one load and get its model or its error; callers of
    /// other keys do not wait for it. `load` must not ask this cache for the same key.
    public func model(for key: ModelKey, load: () throws -> Model) throws -> Model {
        lock.lock()
        let entry: Entry
        if let existing = entries[key] {
            entry = existing
        } else {
            entry = Entry(created: now())
            entries[key] = entry
        }
        lock.unlock()
        return try entry.model(load: load, now: now)
    }

    /// Keys whose entries hold a model or a remembered failure, or are loading.
    public var keys: Set<ModelKey> {
        lock.lock()
        defer { lock.unlock() }
        return Set(entries.keys)
    }

    /// Drops every model and remembered failure last asked for more than `age` ago, and returns their
    /// keys (each also goes to `onEvict`). Entries being loaded or handed out right now stay.
    @discardableResult
    public func evictIdle(olderThan age: Duration) -> [ModelKey] {
        let cutoff = now() - age
        lock.lock()
        var evicted: [ModelKey] = []
        for (key, entry) in entries where entry.isIdle(since: cutoff) {
            entries[key] = nil
            evicted.append(key)
        }
        lock.unlock()
        for key in evicted { onEvict(key) }
        return evicted
    }

    /// One key's model: its lock is held while it loads, so the key's other callers wait for it.
    private final class Entry: @unchecked Sendable {
        // @unchecked: `result` and `lastUse` are read and written only under `lock`.
        private let lock = NSLock()
        private var result: Result<Model, any Error>?
        private var lastUse: ContinuousClock.Instant

        init(created: ContinuousClock.Instant) { lastUse = created }

        func model(load: () throws -> Model, now: () -> ContinuousClock.Instant) throws -> Model {
            lock.lock()
            defer { lock.unlock() }
            let loaded = result ?? Result { try load() }
            result = loaded
            lastUse = now()
            return try loaded.get()
        }

        /// Loaded (or failed) and unused since `cutoff`. Never waits: an entry whose lock is taken
        /// is loading or being handed out, so it is not idle.
        func isIdle(since cutoff: ContinuousClock.Instant) -> Bool {
            guard lock.try() else { return false }
            defer { lock.unlock() }
            return result != nil && lastUse < cutoff
        }
    }
}
