import Foundation
import LoomTestSupport
import Testing

/// The user's files are never written over: the hardening issue's data-loss cases, as a user runs
/// them (whisper-tiny.en, greedy, for speed).
@Suite(.serialized) struct OutputSafetyTests {
    static let fast = ["--set", "models.asr=whisper-tiny.en", "--set", "transcribe.beam=1"]

    /// A folder holding jfk.wav and arctic_a0007.wav.
    func speech() throws -> URL {
        let folder = try Fixtures.temporaryDirectory("loom-safety")
        for name in ["jfk.wav", "arctic_a0007.wav"] {
            try FileManager.default.copyItem(at: Fixtures.sample("audio/\(name)"), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    /// transcribe-folder.yaml's steps with the given `outputs:` block, written beside the inputs' folder.
    func pipeline(in folder: URL, outputs: String, formats: String = "[txt, srt]") throws -> URL {
        let file = folder.deletingLastPathComponent().appendingPathComponent("\(folder.lastPathComponent).yaml")
        try """
            name: safety
            inputs:
              - path: \(folder.path)
                media: [audio]
            models:
              asr: whisper-tiny.en
            steps:
              decode:
                uses: decode
              transcribe:
                uses: transcribe
                needs: [decode]
                model: asr
                with:
                  vad: off
                  beam: 1
              subtitles:
                uses: write
                needs: [transcribe]
                with:
                  formats: \(formats)
            outputs:
            \(outputs)
            """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    var hasWhisper: Bool { InstalledModels.file("whisper-tiny.en", "model.bin") != nil }

    /// Case 1: `manifest: jfk.wav` in the input folder names an input: refused before any work.
    @Test func theManifestNeverReplacesAnInput() throws {
        guard hasWhisper else { return }
        let folder = try speech()
        let file = try pipeline(in: folder, outputs: "  folder: \(folder.path)\n  manifest: jfk.wav")
        defer { try? FileManager.default.removeItem(at: folder); try? FileManager.default.removeItem(at: file) }
        let before = try Data(contentsOf: folder.appendingPathComponent("jfk.wav"))
        let result = try CLIRunner.run(["run", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("jfk.wav is an input of this run"), "\(result.stderr)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("jfk.wav")) == before)
        // Not even --overwrite writes over an input.
        let forced = try CLIRunner.run(["run", file.path, "--overwrite"])
        #expect(forced.status == 1 && forced.stderr.contains("is an input of this run"))
        #expect(try Data(contentsOf: folder.appendingPathComponent("jfk.wav")) == before)
    }

    /// Case 2: sidecar outputs, and `--output` equal to the input folder, keep a user's jfk.txt and
    /// arctic_a0007.srt, write the rest, count the refusals and exit non-zero; --overwrite replaces them.
    @Test func sidecarsKeepTheUsersFiles() throws {
        guard hasWhisper else { return }
        let folder = try speech()
        let notes = folder.appendingPathComponent("jfk.txt"), subtitles = folder.appendingPathComponent("arctic_a0007.srt")
        try Data("my notes\n".utf8).write(to: notes)
        try Data("1\nmy subtitles\n".utf8).write(to: subtitles)
        let sidecar = try pipeline(in: folder, outputs: "  manifest: false")
        defer { try? FileManager.default.removeItem(at: folder); try? FileManager.default.removeItem(at: sidecar) }

        for arguments in [["run", sidecar.path], ["run", sidecar.path, "--output", folder.path]] {
            let result = try CLIRunner.run(arguments)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("jfk.txt already exists and Loom did not write it"), "\(result.stderr)")
            #expect(result.stderr.contains("2 output files refused"), "\(result.stderr)")
            #expect(try String(contentsOf: notes, encoding: .utf8) == "my notes\n")
            #expect(try String(contentsOf: subtitles, encoding: .utf8) == "1\nmy subtitles\n")
            #expect(try String(contentsOf: folder.appendingPathComponent("jfk.srt"), encoding: .utf8).contains("ask not what your country"))
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("arctic_a0007.txt").path))
        }
        let forced = try CLIRunner.run(["run", sidecar.path, "--overwrite"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOf: notes, encoding: .utf8).contains("ask not what your country"))
    }

    /// Case 3: `loom transcribe DIR` with a user's NAME.txt and no NAME.srt writes the .srt, keeps
    /// the .txt and says so; a re-run then has nothing left but the refusal.
    @Test func transcribeKeepsAnExistingTextWhenTheSubtitlesAreMissing() throws {
        guard hasWhisper else { return }
        let folder = try speech()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notes = folder.appendingPathComponent("jfk.txt")
        try Data("my notes\n".utf8).write(to: notes)
        let arguments = ["transcribe", folder.path, "--model", "whisper-tiny.en", "--beam", "1", "--vad", "off"]
        let first = try CLIRunner.run(arguments)
        #expect(first.status == 1, "\(first.stderr)")
        #expect(first.stderr.contains("refused: \(notes.path) already exists and Loom did not write it"), "\(first.stderr)")
        #expect(first.stderr.contains("2 transcribed, 0 skipped, 0 failed, 1 output file refused"), "\(first.stderr)")
        #expect(try String(contentsOf: notes, encoding: .utf8) == "my notes\n")
        #expect(try String(contentsOf: folder.appendingPathComponent("jfk.srt"), encoding: .utf8).contains("ask not what your country"))

        let second = try CLIRunner.run(arguments)
        #expect(second.stderr.contains("0 transcribed, 1 skipped, 0 failed, 1 output file refused"), "\(second.stderr)")
        #expect(try String(contentsOf: notes, encoding: .utf8) == "my notes\n")

        let forced = try CLIRunner.run(arguments + ["--overwrite"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOf: notes, encoding: .utf8).contains("ask not what your country"))
    }

    /// Case 12: two `loom run` into one output folder at once both finish, with whole outputs.
    @Test func twoRunsIntoOneOutputFolder() throws {
        guard hasWhisper else { return }
        let folder = try speech()
        let out = try Fixtures.temporaryDirectory("loom-safety-out")
        let file = try pipeline(in: folder, outputs: "  folder: \(out.path)\n  manifest: manifest.jsonl")
        defer { for url in [folder, out, file] { try? FileManager.default.removeItem(at: url) } }
        let results = try [0, 1].concurrentMap { _ in try CLIRunner.run(["run", file.path]) }
        for result in results {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        }
        let manifest = try String(contentsOf: out.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
        #expect(manifest.split(separator: "\n").count == 2)
        let left = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".tmp") }
        #expect(left.isEmpty, "no temporary files left: \(left)")
    }

    /// Case 9's other half: the outputs of an input whose name is not UTF-8 (Latin-1 `caf\xE9.wav`)
    /// keep its bytes, and a re-run finds them finished.
    @Test func outputsOfANameThatIsNotUTF8KeepItsBytes() throws {
        guard hasWhisper else { return }
        let folder = try Fixtures.temporaryDirectory("loom-safety-latin1")
        defer { try? FileManager.default.removeItem(at: folder) }
        try SpecialFiles.create(SpecialFiles.latin1Name, in: folder, contents: try Data(contentsOf: Fixtures.sample("audio/jfk.wav")))
        let arguments = ["transcribe", folder.path, "--model", "whisper-tiny.en", "--beam", "1", "--vad", "off", "--format", "txt"]
        let first = try CLIRunner.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let expected = Array("caf".utf8) + [0xE9] + Array(".txt".utf8)
        #expect(SpecialFiles.names(in: folder).contains(expected), "\(SpecialFiles.names(in: folder))")
        let second = try CLIRunner.run(arguments)
        #expect(second.stderr.contains("0 transcribed, 1 skipped, 0 failed"), "\(second.stderr)")
    }

    /// Case 7: sizes a user chooses are bounded before anything is allocated.
    @Test func beamAndBestOfAreBounded() throws {
        let out = try Fixtures.temporaryDirectory("loom-safety-bounds")
        defer { try? FileManager.default.removeItem(at: out) }
        for option in ["--beam", "--best-of"] {
            let result = try CLIRunner.run(["transcribe", "Samples/audio/jfk.wav", option, "100000", "--output-dir", out.path])
            #expect(result.status != 0)
            #expect(result.stderr.contains("\(option) must be within 1...16"), "\(result.stderr)")
        }
    }

    /// Case 16: a corrupt image whose only reader is an optional step missing here is still decoded,
    /// so the manifest lists it as failed, not "ok".
    @Test func aCorruptFileIsNotOkWhenItsOnlyReaderIsSkipped() throws {
        let folder = try Fixtures.temporaryDirectory("loom-safety-images")
        let out = try Fixtures.temporaryDirectory("loom-safety-images-out")
        defer { for url in [folder, out] { try? FileManager.default.removeItem(at: url) } }
        try FileManager.default.copyItem(at: Fixtures.sample("images/chelsea.jpg"), to: folder.appendingPathComponent("chelsea.jpg"))
        try FileManager.default.copyItem(at: Fixtures.url("images/bad_corrupt.png"), to: folder.appendingPathComponent("broken.png"))
        let file = out.appendingPathComponent("captions.yaml")
        try """
            inputs:
              - path: \(folder.path)
                media: [image]
            models:
              vision: /nonexistent/SmolVLM
            steps:
              decode:
                uses: decode
              caption:
                uses: caption
                needs: [decode]
                model: vision
                optional: true
            outputs:
              folder: \(out.path)
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["run", file.path])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("2 items: 1 ok (1 with nothing left to run), 1 failed"), "\(result.stderr)")
        let lines = try String(contentsOf: out.appendingPathComponent("manifest.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.contains { $0.contains("broken.png") && $0.contains("\"status\":\"failed\"") }, "\(lines)")
        #expect(lines.contains { $0.contains("chelsea.jpg") && $0.contains("\"status\":\"ok\"") }, "\(lines)")
    }
}

extension Array {
    /// Each element's transform on its own thread, results in order.
    func concurrentMap<T: Sendable>(_ transform: @escaping @Sendable (Element) throws -> T) throws -> [T] where Element: Sendable {
        let results = ResultBox<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in results.set(index, Result { try transform(self[index]) }) }
        return try results.values.map { try $0!.get() }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<T, Error>?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<T, Error>) { lock.lock(); storage[index] = value; lock.unlock() }
    var values: [Result<T, Error>?] { lock.lock(); defer { lock.unlock() }; return storage }
}
