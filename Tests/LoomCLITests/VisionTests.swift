import Foundation
import LoomTestSupport
import Testing

/// `loom caption`, `loom ask` and `loom embed` on the tiny seeded fixture models (Scripts/reference/dump_idefics3.py,
/// dump_clip_siglip.py): the greedy text transformers produced, embeddings equal to transformers', and the
/// messages users see without a model.
@Suite(.serialized) struct VisionTests {
    let idefics3 = Fixtures.url("idefics3/model").path

    /// reference.json's greedy text for a case ("hopper_tiled") and prompt ("caption" / "question").
    func greedyText(_ name: String, _ prompt: String) throws -> String {
        let data = try Data(contentsOf: Fixtures.url("idefics3/reference.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [String: Any])
        let entry = try #require((cases[name] as? [String: Any])?[prompt] as? [String: Any])
        return try #require(entry["greedy_text"] as? String)
    }

    @Test func captionWritesTheReferenceGreedyText() throws {
        let out = try Fixtures.temporaryDirectory("loom-caption")
        let result = try CLIRunner.run([
            "caption", Fixtures.sample("images/hopper.jpg").path, "--model", idefics3, "--max-tokens", "12",
            "--format", "txt,json", "--output-dir", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try greedyText("hopper_tiled", "caption")
        let text = try String(contentsOf: out.appendingPathComponent("hopper.txt"), encoding: .utf8)
        #expect(text == expected + "\n")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("hopper.json"))) as? [String: Any]
        #expect(json?["caption"] as? String == expected)
        #expect(json?["tokens"] as? Int == 12)
        #expect(result.stdout.contains(expected))

        // A second run keeps the files; --no-tiling gives the one-tile reference.
        let again = try CLIRunner.run(["caption", Fixtures.sample("images/hopper.jpg").path, "--model", idefics3, "--output-dir", out.path,
                                       "--format", "txt,json"])
        #expect(again.status == 0 && again.stderr.contains("skipped"))
        let single = try CLIRunner.run(["caption", Fixtures.sample("images/hopper.jpg").path, "--model", idefics3, "--max-tokens", "12",
                                        "--no-tiling", "--format", "jsonl"])
        #expect(single.status == 0, "\(single.stderr)")
        let line = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any]
        #expect(line?["caption"] as? String == (try greedyText("hopper_untiled", "caption")).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Hardening: a --max-tokens beyond any context (Int.max) is cut to the model's context, not an
    /// overflow trap in the release binary.
    @Test func aHugeMaxTokensStopsAtTheContext() throws {
        let result = try CLIRunner.run([
            "caption", Fixtures.sample("images/hopper.jpg").path, "--model", idefics3, "--max-tokens", "\(Int.max)",
            "--no-tiling", "--format", "jsonl"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((line?["tokens"] as? Int ?? 0) >= 1)
    }

    @Test func aBadImageIsReportedAndTheRestGoOn() throws {
        let bad = Fixtures.url("images/bad_corrupt.jpg").path
        let result = try CLIRunner.run([
            "caption", bad, Fixtures.sample("images/hopper.jpg").path, "--model", idefics3, "--max-tokens", "3", "--format", "jsonl"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad_corrupt.jpg"))
        #expect(result.stderr.contains("1 captioned") && result.stderr.contains("1 failed"))
        #expect(result.stdout.split(separator: "\n").count == 1 && result.stdout.contains("hopper.jpg"))
    }

    /// Folders: images found (recursively), other files ignored, captions kept apart under --output-dir.
    @Test func captionFoldersRecursively() throws {
        let root = try Fixtures.temporaryDirectory("loom-caption-tree")
        let input = root.appendingPathComponent("in"), out = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.sample("images/hopper.jpg"), to: input.appendingPathComponent("sub/hopper.jpg"))
        try FileManager.default.copyItem(at: Fixtures.sample("images/astronaut.png"), to: input.appendingPathComponent("astronaut.png"))
        try Data("not an image".utf8).write(to: input.appendingPathComponent("notes.md"))
        let flat = try CLIRunner.run(["caption", input.path, "--model", idefics3, "--max-tokens", "2", "--output-dir", out.path])
        #expect(flat.status == 0, "\(flat.stderr)")
        #expect(flat.stderr.contains("1 captioned"))
        let deep = try CLIRunner.run(["caption", input.path, "-r", "--model", idefics3, "--max-tokens", "2", "--output-dir", out.path])
        #expect(deep.status == 0 && deep.stderr.contains("1 captioned, 1 skipped"), "\(deep.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("astronaut.txt").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("sub/hopper.txt").path))
        let badFormat = try CLIRunner.run(["caption", input.path, "--model", idefics3, "--format", "txt,jsonl"])
        #expect(badFormat.status != 0 && badFormat.stderr.contains("jsonl"))
    }

    @Test func askStreamsTheReferenceAnswer() throws {
        let result = try CLIRunner.run([
            "ask", Fixtures.sample("images/hopper.jpg").path, "What animal is in the picture?", "--model", idefics3, "--max-tokens", "12"])
        #expect(result.status == 0, "\(result.stderr)")
        let answer = try greedyText("hopper_tiled", "question")
        #expect(result.stdout == String(answer.drop { $0.isWhitespace }) + "\n")
        // Sampling: the same seed gives the same answer; bad settings are refused before loading.
        let sampled = ["ask", Fixtures.sample("images/hopper.jpg").path, "What?", "--model", idefics3, "--max-tokens", "8",
                       "--temperature", "0.9", "--seed", "7"]
        let first = try CLIRunner.run(sampled), second = try CLIRunner.run(sampled)
        #expect(first.status == 0 && first.stdout == second.stdout, "\(first.stderr)")
        let badTemperature = try CLIRunner.run(["ask", Fixtures.sample("images/hopper.jpg").path, "What?", "--temperature", "-1"])
        #expect(badTemperature.status != 0 && badTemperature.stderr.lowercased().contains("temperature"))
        let missing = try CLIRunner.run(["ask", "/nonexistent/cat.jpg", "what?", "--model", idefics3])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/cat.jpg"))
    }

    @Test func missingOrIncompleteModelSaysWhatToProvide() throws {
        let home = try Fixtures.temporaryDirectory("loom-home")
        for command in [["caption", Fixtures.sample("images/hopper.jpg").path], ["ask", Fixtures.sample("images/hopper.jpg").path, "what?"]] {
            let result = try CLIRunner.run(command, environment: ["LOOM_HOME": home.path])
            #expect(result.status != 0)
            #expect(result.stderr.contains("SmolVLM-256M-Instruct") && result.stderr.contains("--model"))
            #expect(result.stderr.contains(home.appendingPathComponent("models/smolvlm-256m-instruct").path))
            #expect(result.stderr.contains("config.json") && result.stderr.contains("model.safetensors"))
        }
        let embed = try CLIRunner.run(["embed", Fixtures.sample("images/hopper.jpg").path], environment: ["LOOM_HOME": home.path])
        #expect(embed.status != 0 && embed.stderr.contains("CLIP") && embed.stderr.contains("models/clip-vit-base-patch32"))

        let partial = home.appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.url("idefics3/model/config.json"), to: partial.appendingPathComponent("config.json"))
        let incomplete = try CLIRunner.run(["caption", Fixtures.sample("images/hopper.jpg").path, "--model", partial.path])
        #expect(incomplete.status != 0)
        #expect(incomplete.stderr.contains("lacks model.safetensors") && incomplete.stderr.contains("tokenizer.json"))
        // Tiles must be the vision tower's input size.
        let mismatched = home.appendingPathComponent("mismatched")
        try FileManager.default.copyItem(at: Fixtures.url("idefics3/model"), to: mismatched)
        let preprocessor = mismatched.appendingPathComponent("preprocessor_config.json")
        let edited = try String(contentsOf: preprocessor, encoding: .utf8)
            .replacingOccurrences(of: "\"longest_edge\": 64", with: "\"longest_edge\": 32")
        try edited.write(to: preprocessor, atomically: true, encoding: .utf8)
        let tiles = try CLIRunner.run(["caption", Fixtures.sample("images/hopper.jpg").path, "--model", mismatched.path])
        #expect(tiles.status != 0 && tiles.stderr.contains("max_image_size") && tiles.stderr.contains("preprocessor_config.json"))
        let wrongKind = try CLIRunner.run(["embed", Fixtures.sample("images/hopper.jpg").path, "--model", idefics3])
        #expect(wrongKind.status != 0 && wrongKind.stderr.contains("idefics3"))
    }

    /// Image embeddings equal transformers' (dump_clip_siglip.py) within 1e-4.
    @Test(arguments: ["clip", "siglip"])
    func embedMatchesTheReference(family: String) throws {
        let out = try Fixtures.temporaryDirectory("loom-embed")
        let file = out.appendingPathComponent("embeddings.jsonl")
        let result = try CLIRunner.run([
            "embed", Fixtures.sample("images/chelsea.jpg").path, Fixtures.sample("images/astronaut.png").path,
            "--model", Fixtures.url("\(family)/tiny-random").path, "--json", "--output", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for (line, stem) in zip(lines, ["chelsea", "astronaut"]) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let values = try #require(object["embedding"] as? [Double]).map { Float($0) }
            let diff = maxAbsDiff(values, try Fixtures.floats("\(family)/image_embeds_\(stem).f32"))
            print("loom embed \(family) \(stem) maxdiff \(diff)")
            #expect(diff <= 1e-4)
            #expect((object["path"] as? String)?.hasSuffix("\(stem).\(stem == "chelsea" ? "jpg" : "png")") == true)
        }
        // Texts need the folder's tokenizer.json, which these fixtures lack: a clear error, non-zero exit.
        let text = try CLIRunner.run(["embed", "--text", "a cat", "--model", Fixtures.url("\(family)/tiny-random").path])
        #expect(text.status != 0 && text.stderr.contains("tokenizer.json"))
    }

    /// Text embeddings of a CLIP folder with CLIP's tokenizer.json pipeline (dump_clip_text.py): for every
    /// text (case, spacing, punctuation, accents, emoji, empty, longer than the context), transformers' embedding.
    @Test func embedTextsWithTheCLIPTokenizer() throws {
        let data = try Data(contentsOf: Fixtures.url("vision-embed/clip_text.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        let texts = cases.map { $0["text"] as! String }
        let result = try CLIRunner.run(["embed", "--json", "--model", Fixtures.url("vision-embed/clip").path] + texts.flatMap { ["--text", $0] })
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == cases.count)
        var worst: Float = 0
        for (line, reference) in zip(lines, cases) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["text"] as? String == reference["text"] as? String)
            let values = try #require(object["embedding"] as? [Double]).map { Float($0) }
            let expected = try #require(reference["embedding"] as? [Double]).map { Float($0) }
            let diff = maxAbsDiff(values, expected)
            worst = max(worst, diff)
            #expect(diff <= 1e-4, "\(reference["text"]!)")
        }
        print("loom embed --text clip maxdiff \(worst) over \(cases.count) texts")
    }
}

/// `loom embed` on a vision tower saved alone: images work, `--text` is refused up front, naming the
/// full model it needs.
@Suite struct VisionTowerEmbedCommandTests {
    @Test func imagesOnly() throws {
        let tower = Fixtures.url("vision-towers/clip/model").path
        let images = try CLIRunner.run(["embed", "--model", tower, Fixtures.sample("images/chelsea.jpg").path])
        #expect(images.status == 0 && images.stdout.split(separator: "\t").last?.split(separator: ",").count == 20, "\(images.stderr)")
        let text = try CLIRunner.run(["embed", "--model", tower, "--text", "a cat", Fixtures.sample("images/chelsea.jpg").path])
        #expect(text.status != 0 && text.stdout.isEmpty)
        #expect(text.stderr.contains("vision tower alone") && text.stderr.contains("openai/clip-vit-base-patch32"), "\(text.stderr)")
    }
}
