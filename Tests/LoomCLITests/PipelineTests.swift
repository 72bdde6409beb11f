import Foundation
import LoomIndex
import LoomTestSupport
import Testing

/// `loom run` on the shipped pipelines with real models (whisper-tiny.en for speed), including a run
/// killed with SIGKILL halfway and resumed.
@Suite(.serialized) struct PipelineTests {
    static let fast = ["--set", "models.asr=whisper-tiny.en", "--set", "transcribe.beam=1"]

    /// A folder of three clips and one broken file.
    func clips() throws -> URL {
        let folder = try Fixtures.temporaryDirectory("loom-run-in")
        for name in ["arctic_a0007.wav", "arctic_a0007_8k.wav", "jfk.wav"] {
            try FileManager.default.copyItem(at: Fixtures.sample("audio/\(name)"), to: folder.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: Fixtures.url("audio/random_bytes.wav"), to: folder.appendingPathComponent("broken.wav"))
        return folder
    }

    /// Every file under `folder` (relative path -> bytes), the cache left out.
    func outputs(_ folder: URL) -> [String: Data] {
        var files: [String: Data] = [:]
        for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)! {
            let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
            if relative.hasPrefix(".loom-cache") || url.lastPathComponent == ".loom-outputs" || url.hasDirectoryPath { continue }
            files[relative] = try? Data(contentsOf: url)
        }
        return files
    }

    func cacheRecords(_ folder: URL) -> Int {
        let cache = folder.appendingPathComponent(".loom-cache")
        return (FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }.count
    }

    @Test func transcribeFolderSurvivesKillAndRerunsWithoutModelWork() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil else { return }
        let input = try clips()
        let whole = try Fixtures.temporaryDirectory("loom-run-whole")
        let killed = try Fixtures.temporaryDirectory("loom-run-killed")
        defer { for url in [input, whole, killed] { try? FileManager.default.removeItem(at: url) } }
        let base = ["run", "Pipelines/transcribe-folder.yaml", "--input", input.path] + Self.fast

        // An uninterrupted run: the broken file is reported, the rest are done, exit status 1.
        let first = try CLIRunner.run(base + ["--output", whole.path])
        print(first.stderr)
        #expect(first.status == 1)
        #expect(first.stderr.contains("broken.wav") && first.stderr.contains("4 items: 3 ok (0 with nothing left to run), 1 failed"))
        let srt = try String(contentsOf: whole.appendingPathComponent("jfk.wav.srt"), encoding: .utf8)
        #expect(srt.contains("ask not what your country can do for you"))
        let expected = outputs(whole)
        #expect(Set(expected.keys) == ["manifest.jsonl", "arctic_a0007.wav.srt", "arctic_a0007.wav.json", "arctic_a0007_8k.wav.srt",
                                       "arctic_a0007_8k.wav.json", "jfk.wav.srt", "jfk.wav.json"])

        // Killed (SIGKILL) right after the first item finished, then run again.
        let interrupted = try CLIRunner.run(base + ["--output", killed.path], environment: ["LOOM_PIPELINE_KILL_AFTER": "1"])
        #expect(interrupted.status == 9, "killed by SIGKILL: \(interrupted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("manifest.jsonl").path), "no manifest from a killed run")
        let partial = outputs(killed).keys.filter { $0.hasSuffix(".srt") }.count
        #expect(partial >= 1 && partial < 3, "the kill came halfway: \(partial) transcripts")
        let resumed = try CLIRunner.run(base + ["--output", killed.path])
        print(resumed.stderr)
        #expect(resumed.status == 1 && resumed.stderr.contains("4 items: 3 ok"))
        #expect(!resumed.stderr.contains("transcribe 3"), "finished items are not transcribed again")
        #expect(outputs(killed) == expected, "exactly the outputs of the uninterrupted run, no leftovers")
        #expect(cacheRecords(killed) == cacheRecords(whole))

        // Nothing changed: no step runs and no model is loaded.
        let again = try CLIRunner.run(base + ["--output", whole.path])
        #expect(again.stderr.contains("steps run: none; models loaded: none"), "\(again.stderr)")
        #expect(again.stderr.contains("4 items: 3 ok (3 with nothing left to run), 1 failed"))
        #expect(outputs(whole) == expected)
    }

    /// caption-folder and ask-images as shipped, on Samples/images, with the tiny seeded SmolVLM fixture
    /// as the vision model: every image gets its file, and the pipeline's caption is the one
    /// `loom caption` gives for the same image and settings.
    @Test func visionPipelinesRunOnSamplesWithAVisionModel() throws {
        let vision = ["--set", "models.vision=\(Fixtures.url("idefics3/model").path)"]
        let out = try Fixtures.temporaryDirectory("loom-run-vision")
        defer { try? FileManager.default.removeItem(at: out) }
        let images = ["astronaut", "chelsea", "coffee", "hopper", "hopper_gray", "hopper_orientation_6", "rocket"]

        let captions = out.appendingPathComponent("captions")
        let caption = try CLIRunner.run(["run", "Pipelines/caption-folder.yaml", "--output", captions.path,
                                         "--set", "caption.max_tokens=6", "--set", "caption.tiling=false"] + vision)
        #expect(caption.status == 0, "\(caption.stderr)")
        for name in images {
            #expect(FileManager.default.fileExists(atPath: captions.appendingPathComponent("\(name).caption.txt").path), "\(name)")
        }
        let direct = try CLIRunner.run(["caption", "Samples/images/chelsea.jpg", "--model", Fixtures.url("idefics3/model").path,
                                        "--prompt", "Describe this image in one sentence.", "--max-tokens", "6", "--no-tiling",
                                        "--output-dir", out.appendingPathComponent("direct").path])
        #expect(direct.status == 0, "\(direct.stderr)")
        let viaPipeline = try String(contentsOf: captions.appendingPathComponent("chelsea.caption.txt"), encoding: .utf8)
        let viaCLI = try String(contentsOf: out.appendingPathComponent("direct/chelsea.txt"), encoding: .utf8)
        #expect(viaPipeline.trimmingCharacters(in: .whitespacesAndNewlines) == viaCLI.trimmingCharacters(in: .whitespacesAndNewlines))

        let answers = out.appendingPathComponent("answers")
        let ask = try CLIRunner.run(["run", "Pipelines/ask-images.yaml", "--output", answers.path,
                                     "--set", "ask.max_tokens=4", "--set", "ask.tiling=false"] + vision)
        #expect(ask.status == 0, "\(ask.stderr)")
        for name in images {
            #expect(FileManager.default.fileExists(atPath: answers.appendingPathComponent("\(name).answer.txt").path), "\(name)")
        }
    }

    @Test func demoRunsAndReportsTheMissingVisionModel() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil,
              InstalledModels.file("minilm-l6-v2", "config.json") != nil,
              InstalledModels.file("silero-vad", "silero_vad_16k_op15.onnx") != nil,
              InstalledModels.file("pp-ocrv4", "rec.onnx") != nil else { return }
        let out = try Fixtures.temporaryDirectory("loom-run-demo")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CLIRunner.run(["run", "Pipelines/demo.yaml", "--output", out.path] + Self.fast)
        print(result.stderr)
        #expect(result.status == 0)
        #expect(result.stderr.contains("vision model 'vision' (smolvlm-256m-instruct) is not available"))
        #expect(result.stderr.contains("SmolVLM / Idefics3 folder"), "the message says what folder to provide")
        #expect(result.stderr.contains("12 items: 12 ok"), "\(result.stderr)")
        let jfk = try String(contentsOf: out.appendingPathComponent("audio/jfk.txt"), encoding: .utf8)
        #expect(jfk.lowercased().contains("ask not what your country can do for you"))
        let vectors = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("audio/jfk.embedding.json"))) as? [String: Any]
        let first = (vectors?["embeddings"] as? [[String: Any]])?.first
        #expect(first?["source"] as? String == "transcribe" && (first?["vector"] as? [Double])?.count == 384)
        let manifest = try String(contentsOf: out.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
        #expect(manifest.split(separator: "\n").count == 12)
        // The text printed in the sample photos, read by the ocr step.
        let page = try String(contentsOf: out.appendingPathComponent("images/eurotext.ocr.txt"), encoding: .utf8)
        #expect(page.hasPrefix("The (quick) [brown] {fox} jumps!\n"), "\(page)")
        #expect(manifest.contains("\"caption\":{\"skipped\":\"not available\"}"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("images/coffee.caption.txt").path))
    }

    @Test func dryRunPrintsThePlanAndBadFilesAreLocated() throws {
        let plan = try CLIRunner.run(["run", "Pipelines/transcribe-folder.yaml", "--dry-run", "--output", "/tmp/loom-unused"] + Self.fast)
        if InstalledModels.folder("whisper-tiny.en") != nil {
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.contains("2. transcribe  transcribe <- decode  [audio]  beam=1"))
            #expect(plan.stdout.contains("9 files to process"))
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/loom-unused"), "a dry run writes nothing")

        let folder = try Fixtures.temporaryDirectory("loom-run-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.yaml")
        try Data("inputs: [.]\nsteps:\n  a:\n    uses: transcode\n".utf8).write(to: file)
        let bad = try CLIRunner.run(["run", file.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.yaml:4:11: step 'a': unknown step kind 'transcode'"), "\(bad.stderr)")
        let override = try CLIRunner.run(["run", "Pipelines/transcribe-folder.yaml", "--set", "transcribe.beam=0", "--dry-run"])
        #expect(override.status == 1 && override.stderr.contains("--set transcribe.beam=0: step 'transcribe': beam: 0 is outside 1...16"))

        // Missing models and engines: the dry run still prints the plan, then the located problem.
        let caption = try CLIRunner.run(["run", "Pipelines/caption-folder.yaml", "--dry-run"])
        #expect(caption.status == 1 && caption.stdout.contains("2. caption   caption <- decode  [image]"), "\(caption.stdout)")
        #expect(caption.stderr.contains("Pipelines/caption-folder.yaml:9:11: model 'vision': smolvlm-256m-instruct: no such model folder"), "\(caption.stderr)")
    }

    /// index-media end to end: speech transcribed, an image captioned by the tiny SmolVLM fixture, all in
    /// one index that `loom search` reads; a spoken sentence is found by paraphrase with its time range.
    @Test func indexMediaBuildsAnIndexThatSearchFinds() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil,
              InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil else { return }
        let input = try Fixtures.temporaryDirectory("loom-run-media-in")
        let output = try Fixtures.temporaryDirectory("loom-run-media-out")
        defer { for url in [input, output] { try? FileManager.default.removeItem(at: url) } }
        for name in ["audio/jfk.wav", "images/chelsea.jpg"] {
            try FileManager.default.copyItem(at: Fixtures.sample(name), to: input.appendingPathComponent((name as NSString).lastPathComponent))
        }
        let vision = Fixtures.url("idefics3/model").path
        let run = try CLIRunner.run(["run", "Pipelines/index-media.yaml", "--input", input.path, "--output", output.path,
                                     "--set", "models.vision=\(vision)", "--set", "caption.max_tokens=8"] + Self.fast)
        #expect(run.status == 0, "\(run.stderr)")
        let index = output.appendingPathComponent("media.loom").path
        let search = try CLIRunner.run(["search", "--index", index, "--json", "find out how you could help your nation"])
        #expect(search.status == 0, "\(search.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any]
        let results = try #require(object?["results"] as? [[String: Any]])
        let top = try #require(results.first)
        #expect((top["path"] as? String)?.hasSuffix("jfk.wav") == true && top["match"] as? String == "transcript", "\(results)")
        let (start, end) = (top["start"] as? Double ?? -1, top["end"] as? Double ?? -1)
        #expect(start >= 6 && start <= 9 && end >= 10 && end <= 11.1, "time range \(start)-\(end)")
        // The image went in with its caption from the vision step.
        let captioned = try CLIRunner.run(["search", "--index", index, "--json", "--segments", "--modality", "image", "a picture"])
        let images = (try JSONSerialization.jsonObject(with: Data(captioned.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]]
        #expect(images?.contains { ($0["path"] as? String)?.hasSuffix("chelsea.jpg") == true && $0["match"] as? String == "caption" } == true,
                "\(captioned.stdout)")

        // Nothing changed: the re-run does no model work and the index answers the same.
        let again = try CLIRunner.run(["run", "Pipelines/index-media.yaml", "--input", input.path, "--output", output.path,
                                       "--set", "models.vision=\(vision)", "--set", "caption.max_tokens=8"] + Self.fast)
        #expect(again.status == 0 && again.stderr.contains("models loaded: none"), "\(again.stderr)")
    }
}

/// The index step stores what the pipeline's own steps made, with their models: changing the
/// pipeline's speech model re-indexes the audio with the new transcripts (the architecture issue's
/// side channel), and the embedding model is loaded once for the embed step and the index together.
@Suite(.serialized) struct PipelineIndexFollowsStepsTests {
    @Test func changingTheSpeechModelReachesTheIndex() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, InstalledModels.file("whisper-base", "model.bin") != nil,
              InstalledModels.file("minilm-l6-v2", "config.json") != nil else { return }
        let folder = try Fixtures.temporaryDirectory("loom-run-index")
        defer { try? FileManager.default.removeItem(at: folder) }
        let media = folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.sample("audio/jfk.wav"), to: media.appendingPathComponent("jfk.wav"))
        let file = folder.appendingPathComponent("index.yaml")
        try """
            inputs:
              - path: media
            models:
              asr: whisper-tiny.en
              text: minilm-l6-v2
            steps:
              decode:
                uses: decode
              transcribe:
                uses: transcribe
                needs: [decode]
                model: asr
                with:
                  beam: 1
                  vad: off
              embed:
                uses: embed
                needs: [transcribe]
                model: text
              index:
                uses: index
                needs: [transcribe, embed]
            outputs:
              folder: out
            """.write(to: file, atomically: true, encoding: .utf8)
        let indexFile = folder.appendingPathComponent("out/media.loom")
        func transcriptSources() throws -> Set<String?> {
            let store = try SQLiteIndexStore(url: indexFile, create: false)
            let item = try #require(try store.item(path: media.appendingPathComponent("jfk.wav").standardizedFileURL.path))
            return Set(try store.segments(itemId: item.id!).filter { $0.kind == .transcript }.map(\.source))
        }

        let first = try CLIRunner.run(["run", file.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("models loaded: asr, text"), "the embedding model loads once: \(first.stderr)")
        #expect(try transcriptSources() == ["whisper-tiny.en"])

        let second = try CLIRunner.run(["run", file.path, "--set", "models.asr=whisper-base"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try transcriptSources() == ["whisper-base"], "the index follows the pipeline's speech model")
        let hits = try CLIRunner.run(["search", "--index", indexFile.path, "what can I do for my country", "--json"])
        #expect(hits.status == 0 && hits.stdout.contains("jfk.wav"), "\(hits.stderr)")
    }
}
