import Foundation
import LoomPipeline
import LoomTestSupport
import Testing

/// The runner end to end with a stand-in vision engine (no model files needed): outputs, manifest,
/// cache, re-runs, bad inputs, error policies and collisions.
@Suite struct RunnerTests {
    static let captionPipeline = """
        name: captions
        inputs:
          - path: media
        models:
          vlm: {path: fake-vlm}
        steps:
          decode:
            uses: decode
          caption:
            uses: caption
            needs: [decode]
            model: vlm
          out:
            uses: write
            needs: [caption]
            with:
              formats: [txt, json]
              suffix: .caption
        outputs:
          folder: out
        """

    struct Run {
        let summary: RunSummary
        let log: String
    }

    /// Runs the pipeline at `file` with `engine`, collecting the progress log.
    func run(_ file: PipelineFile, engine: FakeVisionEngine?, settings: [String] = [], yamlOptional: Bool = false) throws -> Run {
        let plan = try file.plan(PipelineOverrides(settings: settings))
        var engines = PipelineEngines()
        if let engine { engines.vision = { @Sendable _, _ in engine } }
        let prepared = try PreparedPipeline(plan, engines: engines)
        let log = LogLines()
        let summary = try PipelineRunner(prepared, progress: RunProgress(isTerminal: false, write: log.append)).run()
        return Run(summary: summary, log: log.text)
    }

    func captionFolder(_ yaml: String = captionPipeline) throws -> PipelineFile {
        let file = try PipelineFile(yaml)
        _ = try fakeModelFolder(in: file.folder)
        try file.copy("images/coffee.jpg")
        try file.copy("images/astronaut.png")
        try FileManager.default.copyItem(at: Fixtures.url("images/bad_truncated.png"),
                                         to: file.folder.appendingPathComponent("media/broken.png"))
        try file.copy("audio/arctic_a0007.wav")
        return file
    }

    @Test func writesOutputsAndManifestReportsBadFilesAndRerunsFromCache() throws {
        let file = try captionFolder()
        defer { file.remove() }
        let engine = FakeVisionEngine()
        let first = try run(file, engine: engine)
        print(first.log)
        #expect(first.summary.total == 4 && first.summary.succeeded == 3 && first.summary.failed == 1)
        #expect(engine.calls == 2, "two images captioned; the audio file has nothing to caption")
        #expect(first.summary.modelsLoaded == ["vlm"])
        #expect(first.log.contains("error: ") && first.log.contains("broken.png"))

        let out = file.folder.appendingPathComponent("out")
        let caption = try String(contentsOf: out.appendingPathComponent("coffee.caption.txt"), encoding: .utf8)
        #expect(caption == "an image of 600x400 pixels\n")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("astronaut.caption.json").path))
        let manifest = try String(contentsOf: out.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(manifest.map { $0["path"] as? String } == ["arctic_a0007.wav", "astronaut.png", "broken.png", "coffee.jpg"], "walk order")
        #expect(manifest.map { $0["status"] as? String } == ["ok", "ok", "failed", "ok"])
        #expect((manifest[2]["error"] as? String)?.contains("decode") == true)
        #expect(((manifest[3]["steps"] as? [String: Any])?["caption"] as? [String: Any])?["text"] as? String == "an image of 600x400 pixels")
        let before = tree(out)

        // Nothing changed: no model work, no model loaded, same files; the broken file fails again.
        let second = try run(file, engine: engine)
        #expect(engine.calls == 2)
        #expect(second.summary.stepRuns.isEmpty && second.summary.modelsLoaded.isEmpty)
        #expect(second.summary.withoutWork == 3 && second.summary.failed == 1)
        #expect(tree(out) == before)

        // A changed parameter is new work; a deleted output is written again from the cache.
        try FileManager.default.removeItem(at: out.appendingPathComponent("coffee.caption.txt"))
        let third = try run(file, engine: engine)
        #expect(engine.calls == 2 && third.summary.stepRuns == ["out": 1] && tree(out) == before)
        _ = try run(file, engine: engine, settings: ["caption.prompt=Name the colours."])
        #expect(engine.calls == 4)
    }

    @Test func sidecarsGoNextToInputs() throws {
        let file = try captionFolder(Self.captionPipeline.replacingOccurrences(of: "outputs:\n  folder: out", with: ""))
        defer { file.remove() }
        let result = try run(file, engine: FakeVisionEngine())
        #expect(result.summary.failed == 1)
        let media = file.folder.appendingPathComponent("media")
        #expect(FileManager.default.fileExists(atPath: media.appendingPathComponent("coffee.caption.txt").path))
        #expect(FileManager.default.fileExists(atPath: media.appendingPathComponent(".loom-cache").path))
        #expect(FileManager.default.fileExists(atPath: media.appendingPathComponent("manifest.jsonl").path))
    }

    @Test func sameStemFromTwoFilesIsRefusedBeforeAnyWork() throws {
        let file = try captionFolder()
        defer { file.remove() }
        try file.copy("images/chelsea.jpg", as: "coffee.png")
        let engine = FakeVisionEngine()
        let errors = pipelineErrors { _ = try run(file, engine: engine) }
        #expect(errors.count == 1 && errors.first?.kind == .outputCollision, "\(errors)")
        #expect(errors.first?.description.contains("p.yaml:13:3: step 'out'") == true)
        #expect(errors.first?.message.contains("would both write") == true)
        #expect(engine.calls == 0)
        // naming: filename keeps them apart.
        let renamed = try PipelineFile(Self.captionPipeline + "\n  naming: filename\n")
        defer { renamed.remove() }
        _ = try fakeModelFolder(in: renamed.folder)
        try renamed.copy("images/coffee.jpg")
        try renamed.copy("images/chelsea.jpg", as: "coffee.png")
        #expect(try run(renamed, engine: engine).summary.succeeded == 2)
    }

    @Test func stopPolicyEndsTheRunAtTheFirstFailure() throws {
        let file = try captionFolder(Self.captionPipeline + "\nconcurrency: 1\non_error: stop\n")
        defer { file.remove() }
        let engine = FakeVisionEngine(failingWidth: 256)  // astronaut.png (256x256), second in walk order
        let result = try run(file, engine: engine)
        #expect(result.summary.failed == 1 && result.summary.succeeded == 1)
        #expect(result.summary.notStarted >= 1, "\(result.summary)")
        #expect(result.log.contains("fake engine refuses width 256"))
    }

    @Test func missingVisionEngineIsReportedNotCrashed() throws {
        let file = try captionFolder()
        defer { file.remove() }
        let errors = pipelineErrors { _ = try run(file, engine: nil) }
        #expect(errors.first?.kind == .unavailable, "\(errors)")
        #expect(errors.first?.message.contains("vision model 'vlm'") == true)
        #expect(errors.first?.message.contains("optional: true") == true)

        // Optional: the run goes on, the step is listed as skipped, nothing is written for it.
        let optional = try PipelineFile(Self.captionPipeline.replacingOccurrences(of: "model: vlm", with: "model: vlm\n    optional: true"))
        defer { optional.remove() }
        _ = try fakeModelFolder(in: optional.folder)
        try optional.copy("images/coffee.jpg")
        let result = try run(optional, engine: nil)
        #expect(result.summary.succeeded == 1 && result.summary.failed == 0)
        #expect(result.summary.unavailable.first?.reason.contains("no vision-language engine") == true)
        #expect(result.log.contains("note: step 'caption' (caption) is skipped"))
        #expect(!FileManager.default.fileExists(atPath: optional.folder.appendingPathComponent("out/coffee.caption.txt").path))
    }

    @Test func terminalProgressRedrawsABarWithCountsAndETA() throws {
        let file = try captionFolder()
        defer { file.remove() }
        var engines = PipelineEngines()
        let engine = FakeVisionEngine()
        engines.vision = { @Sendable _, _ in engine }
        let prepared = try PreparedPipeline(try file.plan(PipelineOverrides(input: file.folder.appendingPathComponent("media"))), engines: engines)
        let log = LogLines()
        _ = try PipelineRunner(prepared, progress: RunProgress(isTerminal: true, write: log.append)).run()
        #expect(log.text.contains("\r[########################] 4/4"), "\(log.text)")
        #expect(log.text.contains("failed  ETA"))
        #expect(log.text.contains("\r\u{1B}[Kerror: decode: "), "errors go on their own line above the bar")
        #expect(!log.text.contains("[1/4]"), "no per-item log lines on a terminal")
    }

    /// A FIFO and a symlink to /dev/zero in the input are skipped (reading them would hang the run);
    /// a Latin-1 file name is processed; names with a newline or ESC are printed escaped.
    @Test func hostileFileNamesAndSpecialFiles() throws {
        let file = try PipelineFile(Self.captionPipeline)
        defer { file.remove() }
        _ = try fakeModelFolder(in: file.folder)
        let media = file.folder.appendingPathComponent("media")
        // Different bytes: two items with the same content at once race on one cache record.
        try SpecialFiles.create(Array("caf".utf8) + [0xE9] + Array(".jpg".utf8), in: media,
                                contents: try Data(contentsOf: Fixtures.sample("images/coffee.jpg")))
        try SpecialFiles.create(Array("new\nline.png".utf8), in: media, contents: try Data(contentsOf: Fixtures.sample("images/astronaut.png")))
        try SpecialFiles.create(Array("\u{1B}[2J.png".utf8), in: media, contents: Data("not a png".utf8))
        try SpecialFiles.makeFIFO(media.appendingPathComponent("fifo.png"))
        try SpecialFiles.linkToDevZero(media.appendingPathComponent("zero.png"))

        let engine = FakeVisionEngine()
        let finished = SpecialFiles.finishing(within: 120) { [self] in try? run(file, engine: engine) }
        let outcome = try #require(finished ?? nil, "the run hung or failed")
        #expect(outcome.summary.total == 3 && outcome.summary.succeeded == 2 && outcome.summary.failed == 1, "\(outcome.log)")
        #expect(engine.calls == 2)
        #expect(outcome.log.contains("media/caf\\xE9.jpg") && outcome.log.contains("media/new\\nline.png"), "\(outcome.log)")
        #expect(outcome.log.contains("media/\\x1B[2J.png") && !outcome.log.contains("\u{1B}"), "\(outcome.log)")
        #expect(!outcome.log.contains("new\nline"), "\(outcome.log)")
    }

    @Test func walkerIsOrderedSkipsHiddenAndOutputFoldersAndFilters() throws {
        let root = try Fixtures.temporaryDirectory("loom-walk")
        defer { try? FileManager.default.removeItem(at: root) }
        for path in ["b.wav", "a.png", "sub/c.jpg", "sub/deeper/d.flac", ".hidden/e.png", "out/f.png", "notes.txt", "sub/g.jpg"] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        }
        func walk(_ input: InputSpec) -> [String] {
            PipelineInputs(inputs: [input], excluded: root.appendingPathComponent("out")).map(\.relativePath)
        }
        let location = PipelineLocation(file: "t", line: 1, column: 1)
        var input = InputSpec(path: root, include: [], exclude: [], recursive: true, media: [.image, .audio], location: location)
        // In the order of the full paths, as every command walks (LoomMedia's MediaWalker).
        #expect(walk(input) == ["a.png", "b.wav", "sub/c.jpg", "sub/deeper/d.flac", "sub/g.jpg"])
        input.recursive = false
        #expect(walk(input) == ["a.png", "b.wav"])
        input.recursive = true
        input.media = [.image]
        input.exclude = ["g.*"]
        #expect(walk(input) == ["a.png", "sub/c.jpg"])
        input.include = ["sub/*"]
        #expect(walk(input) == ["sub/c.jpg"])
    }
}

/// Progress lines collected from the runner.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines = ""
    func append(_ text: String) { lock.lock(); lines += text; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return lines }
}
