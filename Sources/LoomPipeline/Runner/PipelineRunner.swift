import Foundation
import LoomMedia
import LoomModelStore

/// How a run went; the CLI prints it and turns it into an exit code.
public struct RunSummary: Sendable {
    public var total = 0
    public var succeeded = 0
    /// Items for which no step had to run (results cached, or nothing applies to them).
    public var withoutWork = 0
    public var failed = 0
    /// Result files not written because an input or a file Loom did not write was in the way.
    public var refusedOutputs = 0
    /// Items never started because `on_error: stop` ended the run.
    public var notStarted = 0
    /// Step runs by step id (model work; decode excluded).
    public var stepRuns: [String: Int] = [:]
    public var modelsLoaded: [String] = []
    /// Optional steps skipped on this machine, with the reason.
    public var unavailable: [(step: String, reason: String)] = []
    public var seconds = 0.0
    public var manifest: URL?
}

public struct RunOptions: Sendable {
    /// Test hook: after this many items did work, the process kills itself with SIGKILL (as `kill -9`).
    public var killAfterComputedItems: Int?

    public init(killAfterComputedItems: Int? = nil) { self.killAfterComputedItems = killAfterComputedItems }
}

/// Runs a prepared pipeline over its inputs: one thread walks the tree and hashes files into a
/// small bounded queue, `concurrency` workers run the steps (a model runs one item at a time, so a
/// second worker decodes the next file meanwhile), and results go to the cache, the outputs and the
/// manifest as each item finishes.
public final class PipelineRunner: @unchecked Sendable {
    let pipeline: PreparedPipeline
    let progress: RunProgress
    let options: RunOptions

    public init(_ pipeline: PreparedPipeline, progress: RunProgress, options: RunOptions = RunOptions()) {
        self.pipeline = pipeline
        self.progress = progress
        self.options = options
    }

    var walker: PipelineInputs { PipelineInputs(inputs: pipeline.plan.spec.inputs, excluded: pipeline.plan.spec.outputs.folder) }

    /// Counts the inputs, tells the output writer what they are, and checks that no two write the
    /// same file and that the manifest may be written, before any work.
    public func scan() throws -> Int {
        let writes = pipeline.steps.compactMap { step -> (PreparedPipeline.Step, WriteStep)? in
            (step.instance as? WriteStep).map { (step, $0) }
        }
        var owners: [String: String] = [:]
        var count = 0
        let manifest = pipeline.layout.manifest?.standardizedFileURL.path
        for file in walker {
            count += 1
            pipeline.writer.protect([file.url])
            for (step, write) in writes where step.plan.mediaKinds.contains(file.kind) {
                for output in write.outputs(for: file.url) {
                    if let owner = owners[output.path], owner != file.url.path {
                        throw PipelineErrors([PipelineError(.outputCollision, at: step.plan.spec.location,
                            "step '\(step.plan.id)': \(DisplayPath.of(URL(fileURLWithPath: owner))) and \(DisplayPath.of(file.url)) "
                            + "would both write \(DisplayPath.of(output)); use `outputs: {naming: filename}` or an include filter")])
                    }
                    if output.standardizedFileURL.path == manifest {
                        throw PipelineErrors([PipelineError(.outputCollision, at: pipeline.plan.spec.outputs.location,
                            "the manifest \(DisplayPath.of(output)) is also a result file of step '\(step.plan.id)' for "
                            + "\(DisplayPath.of(file.url)); give `outputs: {manifest: ...}` another name")])
                    }
                    owners[output.path] = file.url.path
                }
            }
        }
        if let manifest = pipeline.layout.manifest, case .refused(let refusal) = pipeline.writer.status(of: manifest) {
            throw PipelineErrors([PipelineError(.outputCollision, at: pipeline.plan.spec.outputs.location,
                                                "manifest: \(refusal); or give `outputs: {manifest: ...}` another name")])
        }
        return count
    }

    public func run() throws -> RunSummary {
        let started = Date()
        var summary = RunSummary()
        summary.unavailable = pipeline.steps.compactMap { step in step.unavailable.map { (step.plan.id, $0) } }
        for (step, reason) in summary.unavailable {
            progress.note("note: step '\(step)' (\(pipeline.step(step)!.plan.spec.uses)) is skipped: \(reason)")
        }
        let total = try scan()
        summary.total = total
        progress.start(total: total)
        let layout = pipeline.layout
        let manifest = try layout.manifest.map {
            try ManifestWriter(target: $0, layout: layout, steps: pipeline.steps.map(\.plan.id), writer: pipeline.writer)
        }
        let processor = ItemProcessor(pipeline: pipeline, cache: StepCache(folder: layout.cacheFolder))
        let concurrency = pipeline.plan.spec.concurrency
        let queue = BoundedQueue<(Int, FoundFile, Result<String, StepFailure>)>(capacity: concurrency * 2)
        let state = RunState()
        let stopOnError = pipeline.plan.spec.onError == .stop

        let producer = Thread { [walker] in
            for (index, file) in walker.enumerated() {
                // After a stop the walk goes on without hashing, so the summary counts every file
                // that was not started, however far the walk had got when the failure came.
                if state.stopped { manifest?.skip(index); state.count(notStarted: 1); continue }
                let hash: Result<String, StepFailure>
                do {
                    hash = .success(try SHA256.hex(reading: try InputFile.open(file.url)))
                } catch {
                    hash = .failure(StepFailure(item: DisplayPath.of(file.url), step: "read",
                                                message: "cannot read the file: \((error as? FileAccessError)?.reason ?? error.localizedDescription)"))
                }
                queue.push((index, file, hash))
            }
            queue.close()
        }
        producer.stackSize = 1 << 20
        let workers = DispatchGroup()
        for _ in 0..<concurrency {
            workers.enter()
            let worker = Thread { [progress, options] in
                defer { workers.leave() }
                while let (index, file, hash) = queue.pop() {
                    if state.stopped { manifest?.skip(index); state.count(notStarted: 1); continue }
                    let itemStart = Date()
                    var outcome: ItemOutcome
                    switch hash {
                    case .success(let contentHash):
                        outcome = processor.process(PipelineItem(url: file.url, root: file.root, relativePath: file.relativePath,
                                                                 kind: file.kind, contentHash: contentHash))
                    case .failure(let failure):
                        outcome = ItemOutcome(item: PipelineItem(url: file.url, root: file.root, relativePath: file.relativePath,
                                                                 kind: file.kind, contentHash: ""))
                        outcome.failure = failure
                    }
                    manifest?.add(index, outcome)
                    progress.itemDone(outcome, seconds: Date().timeIntervalSince(itemStart))
                    let computedItems = state.record(outcome)
                    if outcome.failure != nil && stopOnError { state.stop() }
                    if let limit = options.killAfterComputedItems, computedItems >= limit, !outcome.computed.isEmpty {
                        kill(getpid(), SIGKILL)
                    }
                }
            }
            // Whisper's decoder recurses little but keeps large frames; give workers room.
            worker.stackSize = 16 << 20
            worker.start()
        }
        producer.start()
        workers.wait()
        progress.end()

        var finishError: Error?
        for step in pipeline.steps {
            do { try step.instance?.finish() } catch { finishError = finishError ?? error }
        }
        try manifest?.finish()
        if let finishError { throw finishError }
        state.fill(&summary)
        summary.modelsLoaded = pipeline.pipelineModels.loadedModels
        summary.manifest = layout.manifest
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}

/// Counters shared by the workers.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var isStopped = false
    private var succeeded = 0, withoutWork = 0, failed = 0, notStarted = 0, computedItems = 0, refusedOutputs = 0
    private var stepRuns: [String: Int] = [:]

    var stopped: Bool { lock.lock(); defer { lock.unlock() }; return isStopped }
    func stop() { lock.lock(); isStopped = true; lock.unlock() }
    func count(notStarted n: Int) { lock.lock(); notStarted += n; lock.unlock() }

    /// Records an item; returns how many items have done work so far.
    func record(_ outcome: ItemOutcome) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if outcome.failure != nil { failed += 1 } else { succeeded += 1 }
        refusedOutputs += outcome.refusedOutputs
        if outcome.computed.isEmpty && outcome.failure == nil { withoutWork += 1 }
        if !outcome.computed.isEmpty { computedItems += 1 }
        for step in outcome.computed { stepRuns[step, default: 0] += 1 }
        return computedItems
    }

    func fill(_ summary: inout RunSummary) {
        lock.lock()
        defer { lock.unlock() }
        summary.succeeded = succeeded
        summary.withoutWork = withoutWork
        summary.failed = failed
        summary.notStarted = notStarted
        summary.refusedOutputs = refusedOutputs
        summary.stepRuns = stepRuns
    }
}

/// A blocking FIFO with a fixed capacity: the walker waits when workers fall behind, so memory stays
/// bounded however large the tree.
final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var closed = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func push(_ element: Element) {
        condition.lock()
        while items.count >= capacity { condition.wait() }
        items.append(element)
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next element, or nil once closed and empty.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        condition.broadcast()
        return items.removeFirst()
    }
}
