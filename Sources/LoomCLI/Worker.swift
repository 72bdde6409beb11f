import ArgumentParser
import Foundation
import LoomPipeline
import LoomPostgres
import LoomQueue

/// `loom worker`: runs a pipeline's items from its PostgreSQL work queue (filled by
/// `loom run PIPELINE --queue URL --enqueue`); start as many as there are machines or cores.
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline's queued items (from `loom run PIPELINE --queue URL --enqueue`).",
        discussion: """
            Each item is claimed for --lease and kept by a heartbeat while it runs; an item whose worker \
            dies or stalls past its lease is claimed again by another. Results go to the pipeline's \
            output folder (shared storage) and index as with `loom run`; an item is marked done only \
            while this worker's claim holds. A failed item is retried with backoff until its attempts \
            are used up, then it is dead (see `loom queue status`). SIGTERM: the items running are \
            finished, nothing more is claimed.
            """)

    @Argument(help: "The pipeline file (YAML), the same as the enqueuing `loom run` used.")
    var pipeline: String

    @Option(help: "The work queue: postgres://USER@HOST:PORT/DATABASE.")
    var queue: String

    @Option(help: "Items run at once by this worker.")
    var concurrency = 1

    @Option(help: "How long a claim lasts without a heartbeat: 90s, 2m, 500ms (default 60s).")
    var lease = "60s"

    @Flag(help: "Exit once nothing is left to claim (and nothing runs elsewhere).")
    var drain = false

    @Option(help: "Write results under this folder instead of the file's outputs.folder.")
    var output: String?

    @Option(name: .customLong("set"), help: "Override a parameter: STEP.PARAM=VALUE, or models.NAME=MODEL (repeatable).")
    var settings: [String] = []

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64, not \(concurrency)") }
        _ = try Self.seconds(lease)
    }

    /// A duration: a number with ms, s, m or h (seconds without a unit).
    static func seconds(_ text: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let (number, scale) = units.first { text.hasSuffix($0.0) }.map { (String(text.dropLast($0.0.count)), $0.1) } ?? (text, 1)
        guard let value = Double(number), value.isFinite, value * scale >= 0.1, value * scale <= 86_400 else {
            throw ValidationError("--lease \(text): give a duration between 100ms and 24h, like 60s or 2m")
        }
        return value * scale
    }

    func run() throws {
        compute.apply()
        let progress = RunProgress()
        do {
            let parsed = try PipelineParser.parse(contentsOf: URL(fileURLWithPath: pipeline))
            // Started with its database, or while it restarts: wait for it as for a lost connection.
            PostgresConnection.serverWaitSeconds = WorkQueue.reconnectSeconds
            let workQueue = try WorkQueue(url: try queueURL(queue), pipeline: parsed.name)
            // The items' own input folders (an enqueuing `loom run --input DIR` may have named other
            // ones than the file): outputs are mirrored below them, as `loom run` would place them.
            let overrides = PipelineOverrides(inputs: try workQueue.inputRoots().map { URL(fileURLWithPath: $0) }, inputOrigin: "queued input",
                                              output: output.map { URL(fileURLWithPath: $0, isDirectory: true) }, settings: settings)
            let spec = try overrides.apply(to: parsed)
            let plan = try PipelineValidator.validate(spec)
            let models = PipelineModels(shared: Loom.models) { name, seconds in
                progress.note(String(format: "loaded model %@ in %.1f s", name, seconds))
            }
            let prepared = try PreparedPipeline(plan, engines: .standard, pipelineModels: models, strict: true, overwrite: false)
            let worker = QueueWorker(prepared, queue: workQueue, lease: try Self.seconds(lease), concurrency: concurrency, drain: drain,
                                     progress: progress)
            // SIGTERM (systemd stop, Kubernetes, Slurm's end): finish what runs, claim nothing more.
            signal(SIGTERM, SIG_IGN)
            let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
            term.setEventHandler { progress.note("SIGTERM: finishing the items running, claiming no more"); worker.stop() }
            term.resume()
            let summary = try worker.run()
            term.cancel()
            let runs = summary.stepRuns.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            printErr(String(format: "%d done, %d failed (%d now dead), %d lost their claim, %d released in %.1f s; steps run: %@; queue %@: %@",
                            summary.succeeded, summary.failed, summary.dead, summary.lost, summary.released, summary.seconds,
                            runs.isEmpty ? "none" : runs.joined(separator: ", "), workQueue.location, try workQueue.counts().description))
            // Non-zero only for what needs a person: an item this worker left dead.
            if summary.dead > 0 { throw ExitCode.failure }
        } catch let errors as PipelineErrors {
            printErr(errors.description)
            throw ExitCode.failure
        }
    }
}

/// `loom queue`: a pipeline's work queue: counts, dead items, retrying and cancelling.
struct Queue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or change a pipeline's work queue (status, retry-dead, cancel).",
        subcommands: [Status.self, RetryDead.self, Cancel.self])

    struct Target: ParsableArguments {
        @Argument(help: "The pipeline file (YAML); its name is the queue's.")
        var pipeline: String

        @Option(help: "The work queue: postgres://USER@HOST:PORT/DATABASE.")
        var queue: String

        func open() throws -> WorkQueue {
            let spec = try PipelineParser.parse(contentsOf: URL(fileURLWithPath: pipeline))
            return try WorkQueue(url: try queueURL(queue), pipeline: spec.name)
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts by state, and the dead items with their last error.")
        @OptionGroup var target: Target

        func run() throws {
            let queue = try target.open()
            print("\(queue.pipeline): \(try queue.counts())")
            for dead in try queue.dead() { print("dead after \(dead.attempts) attempts: \(dead.path): \(dead.lastError)") }
        }
    }

    struct RetryDead: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry-dead", abstract: "Give the dead items fresh attempts.")
        @OptionGroup var target: Target

        func run() throws { print("\(try target.open().retryDead()) dead items are ready again") }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel every unfinished item; running ones commit nothing.")
        @OptionGroup var target: Target

        func run() throws { print("\(try target.open().cancel()) items cancelled") }
    }
}

/// `--queue VALUE`: a postgres:// or postgresql:// URL.
func queueURL(_ text: String) throws -> URL {
    let scheme = text.prefix { $0 != ":" }.lowercased()
    guard text.contains("://"), scheme == "postgres" || scheme == "postgresql", let url = URL(string: text) else {
        throw ValidationError("--queue must be a PostgreSQL URL: postgres://USER@HOST:PORT/DATABASE")
    }
    return url
}
