import ArgumentParser
import Foundation
import LoomQueue

/// `loom bench queue`: the work queue's own cost, as Benchmarks/queue/run measures it: --items
/// synthetic items enqueued under a fresh pipeline name, then --workers threads, each with its own
/// connection (as separate `loom worker` processes have), claim and finish them with an empty step.
/// Prints enqueue and claim + finish throughput and the queue's time per item.
struct BenchQueue: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Time work queue enqueue and claim + finish throughput.")

    @Option(help: "The database: postgres://USER@HOST:PORT/DATABASE.")
    var queue: String

    @Option(help: "Items to enqueue and work off.")
    var items = 10_000

    @Option(help: "Claiming threads, one connection each.")
    var workers = 2

    @Option(help: "Items per claim.")
    var batch = 1

    func run() throws {
        let url = try queueURL(queue)
        let pipeline = "bench-\(UUID().uuidString.prefix(8))"
        let producer = try WorkQueue(url: url, pipeline: pipeline, worker: "bench")
        let inputs = (0..<items).map {
            WorkInput(path: "/bench/\($0).wav", root: "/bench", relativePath: "\($0).wav", kind: "audio", contentHash: String(format: "%064x", $0))
        }
        let enqueueStart = Date()
        for start in stride(from: 0, to: inputs.count, by: 500) { try producer.enqueue(Array(inputs[start..<min(start + 500, inputs.count)])) }
        let enqueueSeconds = Date().timeIntervalSince(enqueueStart)

        let queues = try (0..<workers).map { try WorkQueue(url: url, pipeline: pipeline, worker: "bench-\($0)") }
        let finished = Counter()
        let failure = Counter()
        let group = DispatchGroup()
        let workStart = Date()
        for queue in queues {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    while true {
                        let claims = try queue.claim(limit: batch, lease: 60)
                        if claims.isEmpty { return }
                        for claim in claims where try queue.complete(claim) { finished.add() }
                    }
                } catch {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    failure.add()
                }
            }.start()
        }
        group.wait()
        let workSeconds = Date().timeIntervalSince(workStart)
        let counts = try producer.counts()
        print(String(format: "enqueue: %d items in %.2f s (%.0f items/s)", items, enqueueSeconds, Double(items) / enqueueSeconds))
        print(String(format: "claim + finish: %d items with %d workers in %.2f s: %.0f items/s, %.2f ms of queue time per item per worker",
                     finished.value, workers, workSeconds, Double(finished.value) / workSeconds,
                     workSeconds * 1000 * Double(workers) / Double(max(finished.value, 1))))
        print("queue \(pipeline): \(counts)")
        if failure.value > 0 || counts.done != items { throw ExitCode.failure }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}
