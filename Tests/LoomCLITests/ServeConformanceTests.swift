import Foundation
import LoomTestSupport
import Testing

/// `loom serve` against the real openai client: Scripts/serve-conformance/conformance.py (in the venv
/// Scripts/serve-venv makes) drives a server started here on 127.0.0.1 with the test models, and
/// compares its answers with what the CLI commands print for the same inputs (greedy).
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
        let transcripts = folder.appendingPathComponent("transcripts")
        let transcribe = try CLIRunner.run(["transcribe", audio, "--model", "whisper-tiny.en", "--beam", "1",
                                            "--format", "txt,srt,vtt,json", "--output-dir", transcripts.path])
        #expect(transcribe.status == 0, "\(transcribe.stderr)")
        func transcript(_ ext: String) throws -> String {
            try String(contentsOf: transcripts.appendingPathComponent("jfk.\(ext)"), encoding: .utf8)
        }

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
            "--model", "asr=whisper-tiny.en", "--index", index, "--api-key", "test-key", "--max-queue", "0", "--max-upload-mb", "2",
        ])
        defer { server.stop() }

        let expected: [String: Any] = [
            "generate_prompt": Self.prompt, "generate": String(generate.stdout.dropLast()),
            "completion_prompt": Self.completionPrompt, "completion": String(completion.stdout.dropLast()),
            "ask_question": Self.question, "ask": String(ask.stdout.dropLast()), "max_tokens": Self.maxTokens,
            "transcript_txt": try transcript("txt"), "transcript_srt": try transcript("srt"), "transcript_vtt": try transcript("vtt"),
            "transcript_json": try JSONSerialization.jsonObject(with: Data(try transcript("json").utf8)),
        ]
        let config: [String: Any] = [
            "base_url": "http://127.0.0.1:\(server.port)", "api_key": "test-key", "expected": expected,
            "chat_model": "smollm2-135m-instruct", "vision_model": "model", "embed_model": "minilm-l6-v2", "asr_model": "whisper-tiny.en",
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
        let run = try CLIRunner.runShell(
            "\"\(python)\" Scripts/serve-conformance/conformance.py \"\(configFile.path)\"", timeout: 900)
        print(run.stdout)
        #expect(run.status == 0, "conformance failed:\n\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains(" 0 failed"))

        // The page in a real browser, where Debian's chromium and chromium-driver are installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") {
            let browser = try CLIRunner.runShell(
                "\"\(python)\" Scripts/serve-conformance/browser.py \"\(configFile.path)\"", timeout: 300)
            print(browser.stdout)
            #expect(browser.status == 0, "browser checks failed:\n\(browser.stdout)\n\(browser.stderr)")
            #expect(FileManager.default.fileExists(atPath: Self.screenshot.path), "no screenshot at \(Self.screenshot.path)")
        } else {
            print("skipping the browser checks: apt-get install chromium chromium-driver")
        }
        #expect(server.isRunning, "the server stopped during the checks")
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

    static func start(_ arguments: [String]) throws -> ServeProcess {
        let process = Process()
        process.executableURL = CLIRunner.executable
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments
        process.currentDirectoryURL = Fixtures.repositoryRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
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

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

struct ServeStartError: Error, CustomStringConvertible {
    let output: String
    var description: String { "loom serve did not print its port; it printed: \(output)" }
}
