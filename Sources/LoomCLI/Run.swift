import ArgumentParser
import Foundation
import LoomMedia
import LoomPipeline
import LoomQueue
import LoomTasks

/// `loom run`: a pipeline file over its inputs (Sources/LoomPipeline).
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline file (decode, caption, ask, transcribe, embed, index, write) over folders.",
        discussion: """
            The file is checked completely before anything runs; problems are reported as \
            FILE:LINE:COLUMN. Finished work is kept in .loom-cache/ in the output folder, so a re-run \
            (also after a crash or kill) only does what is left. A file that fails is reported and the \
            others go on (on_error: skip), and the exit status is non-zero when any failed.
            """)

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "Read this folder instead of the file's inputs (keeping the first input's filters).")
    var input: String?

    @Option(help: "Write results under this folder instead of the file's outputs.folder.")
    var output: String?

    @Option(name: .customLong("set"), help: "Override a parameter: STEP.PARAM=VALUE, or models.NAME=MODEL (repeatable).")
    var settings: [String] = []

    @Flag(help: "Check the file and print the plan; run nothing.")
    var dryRun = false

    @Flag(help: "Replace existing result files that Loom did not write (inputs are never written over).")
    var overwrite = false

    @Option(help: "A PostgreSQL work queue, postgres://USER@HOST:PORT/DATABASE: with --enqueue, the inputs go there for `loom worker`.")
    var queue: String?

    @Flag(help: "Add the inputs to --queue (one item per file content: re-runs add nothing) instead of running them here.")
    var enqueue = false

    @Option(help: "With --enqueue: attempts per item before it is dead.")
    var maxAttempts = 3

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if enqueue != (queue != nil) {
            throw ValidationError(enqueue ? "--enqueue needs --queue URL" : "--queue needs --enqueue here; `loom worker` runs the queue")
        }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be between 1 and 100, not \(maxAttempts)") }
    }

    func run() throws {
        compute.apply()
        let progress = RunProgress()
        do {
            let overrides = PipelineOverrides(
                input: input.map { URL(fileURLWithPath: $0, isDirectory: true) },
                output: output.map { URL(fileURLWithPath: $0, isDirectory: true) }, settings: settings)
            let spec = try overrides.apply(to: try PipelineParser.parse(contentsOf: URL(fileURLWithPath: pipeline)))
            let plan = try PipelineValidator.validate(spec)
            let models = PipelineModels(shared: Loom.models) { name, seconds in
                progress.note(String(format: "loaded model %@ in %.1f s", name, seconds))
            }
            // Enqueuing needs only the inputs: the models are the workers' business.
            let prepared = try PreparedPipeline(plan, engines: .standard, pipelineModels: models, strict: !dryRun && !enqueue, overwrite: overwrite)
            if let queue, enqueue, !dryRun {
                let workQueue = try WorkQueue(url: try queueURL(queue), pipeline: spec.name)
                let (seen, added) = try enqueueInputs(of: prepared, into: workQueue, maxAttempts: maxAttempts)
                print("\(added) of \(seen) inputs added to the queue of \(spec.name) at \(workQueue.location); it holds \(try workQueue.counts())")
                return
            }
            let runner = PipelineRunner(prepared, progress: progress, options: Self.testOptions())
            if dryRun {
                print(prepared.describe(fileCount: try runner.scan()))
                if !prepared.problems.isEmpty { throw PipelineErrors(prepared.problems) }
                return
            }
            let summary = try runner.run()
            report(summary, progress: progress)
            if summary.failed > 0 || summary.notStarted > 0 { throw ExitCode.failure }
        } catch let errors as PipelineErrors {
            printErr(errors.description)
            throw ExitCode.failure
        }
    }

    func report(_ summary: RunSummary, progress: RunProgress) {
        let runs = summary.stepRuns.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        var lines = [
            String(format: "%d items: %d ok (%d with nothing left to run), %d failed%@%@ in %.1f s", summary.total, summary.succeeded,
                   summary.withoutWork, summary.failed, summary.notStarted > 0 ? ", \(summary.notStarted) not started (on_error: stop)" : "",
                   OutputWriter.refusalSummary(summary.refusedOutputs),
                   summary.seconds),
            "steps run: " + (runs.isEmpty ? "none" : runs.joined(separator: ", "))
                + "; models loaded: " + (summary.modelsLoaded.isEmpty ? "none" : summary.modelsLoaded.joined(separator: ", ")),
        ]
        for (step, reason) in summary.unavailable { lines.append("skipped step '\(step)': \(reason)") }
        if let manifest = summary.manifest { lines.append("manifest: \(DisplayPath.of(manifest))") }
        printErr(lines.joined(separator: "\n"))
    }

    /// LOOM_PIPELINE_KILL_AFTER=N: a test hook that kills the run (SIGKILL) after N items did work.
    static func testOptions() -> RunOptions {
        RunOptions(killAfterComputedItems: ProcessInfo.processInfo.environment["LOOM_PIPELINE_KILL_AFTER"].flatMap { Int($0) })
    }
}
