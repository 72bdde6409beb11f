import Foundation
import LoomTestSupport
import Testing

/// `loom serve` against the real openai client: Scripts/serve-conformance/conformance.py and limits.py
/// (in the venv Scripts/serve-venv makes) drive a server started here on 127.0.0.1 with the test
/// models, and compare its answers with what the CLI commands print for the same inputs (greedy).
@Suite("loom serve conformance", .serialized)
struct ServeConformanceTests {
    static let prompt = "Name three colors."
    static let completionPrompt = "The capital of France is"
    static let question = "What animal is this?"
    static let maxTokens = 12
    /// The browser's picture of the page, kept as a test artifact (Benchmarks/out is not committed).
    static let screenshot = Fixtures.repositoryRoot.appendingPathComponent("Benchmarks/out/serve-page.png")

    @Test("the openai client's calls, the CLI's answers, and clean faults")
    func conformance() throws {
        guard InstalledModels.file("smollm2-135m-instruct", "") != nil, InstalledModels.file("whisper-tiny.en", "") != nil,
              InstalledModels.file("minilm-l6-v2", "") != nil else { return }
        let folder = try Fixtures.temporaryDirectory("loom-serve")
        defer { try? FileManager.default.removeItem(at: folder) }
        let vision = Fixtures.url("idefics3/model").path
        let image = Fixtures.sample("images/chelsea.jpg").path
        let audio = Fixtures.sample("audio/jfk.wav").path

        // What the CLI answers.
        let generate = try CLIRunner.run(["generate", Self.prompt, "--max-tokens", "\(Self.maxTokens)"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let completion = try CLIRunner.run(["generate", Self.completionPrompt, "--no-chat", "--max-tokens", "\(Self.maxTokens)"])
        #expect(completion.status == 0, "\(completion.stderr)")
        let ask = try CLIRunner.run(["ask", image, Self.question, "--model", vision, "--max-tokens", "\(Self.maxTokens)"])
        #expect(ask.status == 0, "\(ask.stderr)")
        let clip = Fixtures.url("clip/tiny-random").path
        let embed = try CLIRunner.run(["embed", image, "--model", clip, "--json"])
        #expect(embed.status == 0, "\(embed.stderr)")
        let clipLine = try JSONSerialization.jsonObject(with: Data(embed.stdout.utf8)) as? [String: Any]
        let transcripts = folder.appendingPathComponent("transcripts")
        let transcribe = try CLIRunner.run(["transcribe", audio, "--model", "whisper-tiny.en", "--beam", "1",
                                            "--format", "txt,srt,vtt,json", "--output-dir", transcripts.path])
        #expect(transcribe.status == 0, "\(transcribe.stderr)")
        func transcript(_ ext: String) throws -> String {
            try String(contentsOf: transcripts.appendingPathComponent("jfk.\(ext)"), encoding: .utf8)
        }
        let worded = folder.appendingPathComponent("words")
        let wordTimes = try CLIRunner.run(["transcribe", audio, "--model", "whisper-tiny.en", "--beam", "1", "--word-timestamps",
                                           "--format", "json", "--output-dir", worded.path])
        #expect(wordTimes.status == 0, "\(wordTimes.stderr)")

        // A small index for the search routes and the page: two texts, an image, a speech file.
        let texts = folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: texts, withIntermediateDirectories: true)
        try "The violin and the cello play a quiet duet in the concert hall.".write(
            to: texts.appendingPathComponent("music.txt"), atomically: true, encoding: .utf8)
        try "Bake the bread at two hundred degrees until the crust is golden.".write(
            to: texts.appendingPathComponent("baking.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: Fixtures.sample("images/hopper.jpg"), to: texts.appendingPathComponent("hopper.jpg"))
        try FileManager.default.copyItem(at: Fixtures.sample("audio/jfk.wav"), to: texts.appendingPathComponent("jfk.wav"))
        let index = folder.appendingPathComponent("index.sqlite").path
        let indexed = try CLIRunner.run(["index", texts.path, "--index", index, "--asr-model", "whisper-tiny.en"])
        #expect(indexed.status == 0, "\(indexed.stderr)")

        let server = try ServeProcess.start([
            "--model", "chat=smollm2-135m-instruct", "--model", "vision=\(vision)", "--model", "embeddings=minilm-l6-v2",
            "--model", "asr=whisper-tiny.en", "--model", "clip=\(clip)", "--media-root", Fixtures.sample("images").path, "--index", index, "--api-key", "test-key", "--max-queue", "0", "--max-upload-mb", "2",
        ])
        defer { server.stop() }

        let expected: [String: Any] = [
            "generate_prompt": Self.prompt, "generate": String(generate.stdout.dropLast()),
            "completion_prompt": Self.completionPrompt, "completion": String(completion.stdout.dropLast()),
            "ask_question": Self.question, "ask": String(ask.stdout.dropLast()), "max_tokens": Self.maxTokens,
            "transcript_txt": try transcript("txt"), "transcript_srt": try transcript("srt"), "transcript_vtt": try transcript("vtt"),
            "transcript_json": try JSONSerialization.jsonObject(with: Data(try transcript("json").utf8)),
            "transcript_words_json": try JSONSerialization.jsonObject(with: Data(contentsOf: worded.appendingPathComponent("jfk.json"))),
            "clip_image_embedding": clipLine?["embedding"] ?? [],
        ]
        let config: [String: Any] = [
            "base_url": "http://127.0.0.1:\(server.port)", "api_key": "test-key", "expected": expected,
            "chat_model": "smollm2-135m-instruct", "vision_model": "model", "embed_model": "minilm-l6-v2", "asr_model": "whisper-tiny.en", "clip_model": "tiny-random",
            "audio": audio, "image": image, "image_type": "image/jpeg", "max_upload_mb": 2,
            "search_query": "stringed instruments in an orchestra", "search_expected_name": "music.txt",
            "search_expected_file": texts.appendingPathComponent("music.txt").path,
            "browser_query": "ask what you can do for your country", "screenshot": Self.screenshot.path,
        ]
        try FileManager.default.createDirectory(at: Self.screenshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        let configFile = folder.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)

        let venv = try CLIRunner.runShell("Scripts/serve-venv", timeout: 900)
        try #require(venv.status == 0, "Scripts/serve-venv failed: \(venv.stderr)")
        let python = venv.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The OpenAI routes first, then the errors and limits (which fill queues and hang up).
        for script in ["conformance.py", "limits.py"] {
            let run = try CLIRunner.runShell(
                "\"\(python)\" Scripts/serve-conformance/\(script) \"\(configFile.path)\"", timeout: 900)
            print(run.stdout)
            #expect(run.status == 0, "\(script) failed:\n\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains(" 0 failed"))
        }

        // The page in a real browser, where Debian's chromium and chromium-driver are installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") {
            let browser = try CLIRunner.runShell(
                "\"\(python)\" Scripts/serve-conformance/browser.py \"\(configFile.path)\"", timeout: 300)
            print(browser.stdout)
            #expect(browser.status == 0, "browser checks failed:\n\(browser.stdout)\n\(browser.stderr)")
            #expect(FileManager.default.fileExists(atPath: Self.screenshot.path), "no screenshot at \(Self.screenshot.path)")
        } else if InstalledModels.required {
            Issue.record("the browser checks need Debian's chromium and chromium-driver (Scripts/bootstrap installs them)")
        } else {
            print("skipping the browser checks: apt-get install chromium chromium-driver")
        }
        #expect(server.isRunning, "the server stopped during the checks")
        #expect(server.stop(), "loom serve did not exit on SIGTERM")
    }
}

extension ServeConformanceTests {
    @Test("an idle model unloads after --idle-unload, loads again at the next request, and load stays clean")
    func idleUnloadAndLoad() throws {
        guard InstalledModels.file("smollm2-135m-instruct", "") != nil, InstalledModels.file("whisper-tiny.en", "") != nil,
              InstalledModels.file("minilm-l6-v2", "") != nil else { return }
        let folder = try Fixtures.temporaryDirectory("loom-serve-idle")
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("serve.log")
        let server = try ServeProcess.start([
            "--model", "chat=smollm2-135m-instruct", "--model", "embeddings=minilm-l6-v2", "--model", "asr=whisper-tiny.en",
            "--api-key", "k", "--idle-unload", "2", "--max-queue", "2",
        ], log: log)
        defer { server.stop() }
        let venv = try CLIRunner.runShell("Scripts/serve-venv", timeout: 900)
        try #require(venv.status == 0, "Scripts/serve-venv failed: \(venv.stderr)")
        let python = venv.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let embed = """
            import json, sys, time, urllib.request
            base = "http://127.0.0.1:\(server.port)"
            for _ in range(600):
                try:
                    if urllib.request.urlopen(base + "/health").status == 200: break
                except Exception: time.sleep(0.2)
            request = urllib.request.Request(base + "/v1/embeddings", data=json.dumps({"model": "minilm-l6-v2", "input": "hi"}).encode(),
                                             headers={"Authorization": "Bearer k", "Content-Type": "application/json"})
            print(len(json.load(urllib.request.urlopen(request))["data"][0]["embedding"]))
            """
        let script = folder.appendingPathComponent("embed.py")
        try embed.write(to: script, atomically: true, encoding: .utf8)
        let first = try CLIRunner.runShell("\"\(python)\" \"\(script.path)\"", timeout: 300)
        #expect(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "384", "\(first.stderr)")
        // Unused for 2 s, checked every second: unloaded within a few seconds.
        var unloaded = false
        for _ in 0..<40 where !unloaded {
            Thread.sleep(forTimeInterval: 0.25)
            unloaded = (try? String(contentsOf: log, encoding: .utf8))?.contains("unloaded") == true
        }
        #expect(unloaded, "no model unloaded: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        let again = try CLIRunner.runShell("\"\(python)\" \"\(script.path)\"", timeout: 300)
        #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "384", "\(again.stderr)")

        // 8 clients x 50 mixed requests: nothing but 200s and 503s with Retry-After; latencies printed.
        let config: [String: Any] = [
            "base_url": "http://127.0.0.1:\(server.port)", "api_key": "k", "chat_model": "smollm2-135m-instruct",
            "embed_model": "minilm-l6-v2", "asr_model": "whisper-tiny.en", "audio": Fixtures.sample("audio/jfk.wav").path,
        ]
        let configFile = folder.appendingPathComponent("load.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)
        let load = try CLIRunner.runShell("\"\(python)\" Scripts/serve-conformance/load.py \"\(configFile.path)\" 8 50", timeout: 1200)
        print(load.stdout)
        #expect(load.status == 0, "load failed:\n\(load.stdout)\n\(load.stderr)")
        #expect(server.isRunning)
        #expect(server.stop(), "loom serve did not exit on SIGTERM")
    }
}

/// A `loom serve` child on 127.0.0.1 and a port the system chose, read from its "listening on" line.
final class ServeProcess: @unchecked Sendable {
    // @unchecked: `process` is only started, asked whether it runs, and stopped.
    let process: Process
    let port: Int

    private init(process: Process, port: Int) {
        (self.process, self.port) = (process, port)
    }

    /// - Parameter log: where the server's stderr goes (default: the test's own).
    static func start(_ arguments: [String], log: URL? = nil) throws -> ServeProcess {
        let process = Process()
        process.executableURL = CLIRunner.executable
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments
        process.currentDirectoryURL = Fixtures.repositoryRoot
        let out = Pipe()
        process.standardOutput = out
        if let log {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
        } else {
            process.standardError = FileHandle.standardError
        }
        try process.run()
        // The first line, byte by byte: nothing after it is read (the server prints nothing more).
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on "),
              let port = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            if process.isRunning { process.terminate() }
            throw ServeStartError(output: text)
        }
        return ServeProcess(process: process, port: port)
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then up to `seconds` for a graceful exit; a server that hangs is killed. Whether it
    /// exited on its own.
    @discardableResult
    func stop(within seconds: Double = 20) -> Bool {
        guard process.isRunning else { return true }
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return false
        }
        return true
    }
}

struct ServeStartError: Error, CustomStringConvertible {
    let output: String
    var description: String { "loom serve did not print its port; it printed: \(output)" }
}
