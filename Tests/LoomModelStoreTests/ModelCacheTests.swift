import Foundation
import LoomModelStore
import Testing

/// The shared model cache with stand-in loaders (no model files): one load per key under concurrent
/// requests, different keys loading at the same time, failures remembered, idle entries evicted.
/// Concurrency is shown by ordering (each loader waits to see the other one running), not by timing.
@Suite struct ModelCacheTests {
    /// A loaded model stand-in; identity (===) shows whether two callers got the same instance.
    final class FakeModel: Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    struct LoadFailed: Error, Equatable { let attempt: Int }

    /// Thread-safe counters and flags the loaders and the test share.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        func add(_ name: String) -> Int { lock.lock(); defer { lock.unlock() }; counts[name, default: 0] += 1; return counts[name]! }
        func count(_ name: String) -> Int { lock.lock(); defer { lock.unlock() }; return counts[name, default: 0] }
    }

    /// A clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private let start = ContinuousClock.now
        private var offset = Duration.zero
        func now() -> ContinuousClock.Instant { lock.lock(); defer { lock.unlock() }; return start + offset }
        func advance(_ by: Duration) { lock.lock(); offset += by; lock.unlock() }
    }

    /// Runs each body on its own thread (not Dispatch's pool, which may run fewer at once than asked)
    /// and waits for all.
    func onThreads(_ bodies: [@Sendable () -> Void]) {
        let group = DispatchGroup()
        for body in bodies {
            group.enter()
            Thread { body(); group.leave() }.start()
        }
        group.wait()
    }

    let key = ModelKey(URL(fileURLWithPath: "/models/a"))
    let other = ModelKey(URL(fileURLWithPath: "/models/b"))

    @Test func oneKeyLoadsOnceUnderConcurrentRequests() throws {
        let cache = ModelCache<FakeModel>()
        let log = Log()
        let callers = 8
        let arrived = DispatchSemaphore(value: 0)
        let results = Results()
        let key = self.key
        onThreads((0..<callers).map { _ in { @Sendable in
            arrived.signal()
            let model = try? cache.model(for: key) {
                _ = log.add("load")
                // Hold the load until every caller has asked, so they all ask while it runs.
                for _ in 0..<callers { _ = arrived.wait(timeout: .now() + 10) }
                return FakeModel("a")
            }
            results.append(model)
        } })
        #expect(log.count("load") == 1)
        let models = results.values
        #expect(models.count == callers && models.allSatisfy { $0 != nil && $0! === models[0]! })
    }

    @Test func differentKeysLoadAtTheSameTime() throws {
        let cache = ModelCache<FakeModel>()
        let aStarted = DispatchSemaphore(value: 0), bStarted = DispatchSemaphore(value: 0)
        let overlapped = Results()
        let (key, other) = (self.key, self.other)
        // Each loader announces itself, then waits for the other's announcement: both see it only
        // when the two loads run at the same time (a cache that loads one key after the other makes
        // the first loader wait out its 10 s and report false).
        onThreads([
            { @Sendable in
                _ = try? cache.model(for: key) {
                    aStarted.signal()
                    overlapped.append(bStarted.wait(timeout: .now() + 10) == .success ? FakeModel("a") : nil)
                    return FakeModel("a")
                }
            },
            { @Sendable in
                _ = try? cache.model(for: other) {
                    bStarted.signal()
                    overlapped.append(aStarted.wait(timeout: .now() + 10) == .success ? FakeModel("b") : nil)
                    return FakeModel("b")
                }
            },
        ])
        #expect(overlapped.values.count == 2 && overlapped.values.allSatisfy { $0 != nil }, "each load saw the other one running")
        #expect(cache.keys == [key, other])
    }

    @Test func aFailedLoadIsRememberedForEveryCaller() throws {
        let cache = ModelCache<FakeModel>()
        let log = Log()
        for _ in 0..<3 {
            #expect(throws: LoadFailed(attempt: 1)) {
                try cache.model(for: key) { throw LoadFailed(attempt: log.add("load")) }
            }
        }
        #expect(log.count("load") == 1, "the files are not read again")
    }

    @Test func optionsAndPathsMakeTheKey() throws {
        let cache = ModelCache<FakeModel>()
        let log = Log()
        let two = ModelKey(URL(fileURLWithPath: "/models/a"), options: ["threads": "2"])
        let four = ModelKey(URL(fileURLWithPath: "/models/a"), options: ["threads": "4"])
        let sameAsTwo = ModelKey(URL(fileURLWithPath: "/models/x/../a"), options: ["threads": "2"])
        let first = try cache.model(for: two) { _ = log.add("load"); return FakeModel("2") }
        let second = try cache.model(for: four) { _ = log.add("load"); return FakeModel("4") }
        let third = try cache.model(for: sameAsTwo) { _ = log.add("load"); return FakeModel("again") }
        #expect(log.count("load") == 2 && first === third && first !== second)
        #expect(two.description == "/models/a (threads=2)")
    }

    @Test func idleEntriesAreEvictedAndLoadAgain() throws {
        let clock = ManualClock()
        let evictedKeys = Results()
        let cache = ModelCache<FakeModel>(now: { clock.now() }, onEvict: { evictedKeys.append(FakeModel($0.path)) })
        let log = Log()
        let failing = ModelKey(URL(fileURLWithPath: "/models/broken"))
        _ = try cache.model(for: key) { _ = log.add("a"); return FakeModel("a") }
        _ = try cache.model(for: other) { _ = log.add("b"); return FakeModel("b") }
        _ = try? cache.model(for: failing) { _ = log.add("broken"); throw LoadFailed(attempt: 1) }

        clock.advance(.seconds(600))
        _ = try cache.model(for: key) { _ = log.add("a"); return FakeModel("a") }  // used again: not idle
        #expect(cache.evictIdle(olderThan: .seconds(1000)).isEmpty, "nothing is that old")
        let evicted = cache.evictIdle(olderThan: .seconds(300))
        #expect(Set(evicted) == [other, failing])
        #expect(Set(evictedKeys.values.compactMap { $0?.name }) == [other.path, failing.path], "onEvict hears of each")
        #expect(cache.keys == [key])

        _ = try cache.model(for: key) { _ = log.add("a"); return FakeModel("a") }
        _ = try cache.model(for: other) { _ = log.add("b"); return FakeModel("b") }
        let retried = try cache.model(for: failing) { _ = log.add("broken"); return FakeModel("fixed") }
        #expect(log.count("a") == 1 && log.count("b") == 2, "only the evicted model loads again")
        #expect(log.count("broken") == 2 && retried.name == "fixed", "an evicted failure is tried again")
    }

    @Test func aModelBeingLoadedIsNotEvicted() throws {
        let clock = ManualClock()
        let cache = ModelCache<FakeModel>(now: { clock.now() })
        let loading = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let key = self.key
        let finished = DispatchSemaphore(value: 0)
        let loader = Thread {
            _ = try? cache.model(for: key) {
                loading.signal()
                _ = release.wait(timeout: .now() + 10)
                return FakeModel("a")
            }
            finished.signal()
        }
        loader.start()
        #expect(loading.wait(timeout: .now() + 10) == .success)
        clock.advance(.seconds(3600))
        #expect(cache.evictIdle(olderThan: .zero).isEmpty, "the load in progress stays")
        release.signal()
        let log = Log()
        #expect(finished.wait(timeout: .now() + 10) == .success)
        _ = try cache.model(for: key) { _ = log.add("load"); return FakeModel("second") }
        #expect(log.count("load") == 0, "the finished load is what later callers get")
    }
}

/// Values appended from several threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [ModelCacheTests.FakeModel?] = []
    func append(_ value: ModelCacheTests.FakeModel?) { lock.lock(); stored.append(value); lock.unlock() }
    var values: [ModelCacheTests.FakeModel?] { lock.lock(); defer { lock.unlock() }; return stored }
}
