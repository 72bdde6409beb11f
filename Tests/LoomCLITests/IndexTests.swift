import Foundation
import LoomTestSupport
import Testing

/// `loom index` and `loom search` on Samples with MiniLM and whisper-tiny.en.
@Suite(.serialized) struct IndexCommandTests {
    static var modelsInstalled: Bool {
        InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil && InstalledModels.file("whisper-tiny.en", "model.bin") != nil
    }

    /// A folder with a text file, a speech clip and a second text file, in that (sorted) order.
    func corpus(_ folder: URL) throws -> URL {
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try "Tomatoes need full sun and regular watering.".write(to: corpus.appendingPathComponent("a-garden.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: Fixtures.sample("audio/jfk.wav"), to: corpus.appendingPathComponent("b-speech.wav"))
        try "The diesel engine needs an oil change every ten thousand kilometres.".write(to: corpus.appendingPathComponent("c-engine.md"), atomically: true, encoding: .utf8)
        return corpus
    }

    func search(_ query: String, index: URL, in folder: URL) throws -> [[String: Any]] {
        let result = try CLIRunner.run(["search", query, "--index", index.path, "--json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let timings = object?["timings"] as? [String: Double]
        #expect(timings?["model_load_ms"] != nil && timings?["search_ms"] != nil, "model load and search timed apart")
        return object?["results"] as? [[String: Any]] ?? []
    }

    @Test func indexSearchRerunAndBadFiles() throws {
        guard Self.modelsInstalled else { return }
        let folder = try Fixtures.temporaryDirectory("loom-index")
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = try corpus(folder)
        let index = folder.appendingPathComponent("media.loom")
        let arguments = ["index", "corpus", "--asr-model", "whisper-tiny.en", "--threads", "2"]
        let first = try CLIRunner.run(arguments, in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("3 added, 0 updated, 0 unchanged, 0 moved, 0 pruned, 0 failed"))
        #expect(first.stderr.contains("[2/3] corpus/b-speech.wav: added"))
        #expect(FileManager.default.fileExists(atPath: index.path), "media.loom in the current folder by default")

        let hits = try search("citizens should ask how they can serve their country", index: index, in: folder)
        #expect((hits.first?["path"] as? String)?.hasSuffix("b-speech.wav") == true)
        #expect(hits.first?["modality"] as? String == "audio")
        #expect((hits.first?["start"] as? Double).map { $0 >= 0 } == true && (hits.first?["end"] as? Double).map { $0 <= 11.1 } == true)
        let text = try CLIRunner.run(["search", "oil for a diesel motor", "--modality", "text", "--k", "1"], in: folder)
        #expect(text.stdout.hasPrefix(" 1  ") && text.stdout.contains("corpus/c-engine.md"), "\(text.stdout)")
        #expect(text.stderr.contains("models loaded in") && text.stderr.contains("search"))

        let rerun = try CLIRunner.run(arguments, in: folder)
        #expect(rerun.stdout.contains("0 added, 0 updated, 3 unchanged"), "\(rerun.stdout)")
        #expect(!rerun.stderr.contains("loaded speech model"), "nothing to transcribe: Whisper is not loaded")

        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEnot audio".utf8).write(to: corpus.appendingPathComponent("d-broken.wav"))
        try FileManager.default.removeItem(at: corpus.appendingPathComponent("a-garden.txt"))
        let broken = try CLIRunner.run(arguments + ["--prune"], in: folder)
        #expect(broken.status == 1, "a failed file makes the exit status non-zero")
        #expect(broken.stdout.contains("0 added, 0 updated, 2 unchanged, 0 moved, 1 pruned, 1 failed"), "\(broken.stdout)")
        #expect(broken.stderr.contains("d-broken.wav"))
    }

    @Test func killedRunResumesToTheSameIndex() throws {
        guard Self.modelsInstalled else { return }
        let folder = try Fixtures.temporaryDirectory("loom-index-kill")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try corpus(folder)
        let arguments = ["index", "corpus", "--asr-model", "whisper-tiny.en", "--threads", "2", "--index"]

        // Killed (SIGKILL, no chance to clean up) while the speech clip is being transcribed.
        let process = Process()
        process.executableURL = CLIRunner.executable
        process.arguments = arguments + ["killed.loom"]
        process.currentDirectoryURL = folder
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("[1/3]") {
            let data = err.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "killed before it finished: \(seen)")

        let resumed = try CLIRunner.run(arguments + ["killed.loom"], in: folder)
        #expect(resumed.stdout.contains("2 added, 0 updated, 1 unchanged"), "\(resumed.stdout)")
        let fresh = try CLIRunner.run(arguments + ["fresh.loom"], in: folder)
        #expect(fresh.stdout.contains("3 added"))
        for query in ["ask what you can do for your country", "watering the garden", "engine oil"] {
            let a = try search(query, index: folder.appendingPathComponent("killed.loom"), in: folder)
            let b = try search(query, index: folder.appendingPathComponent("fresh.loom"), in: folder)
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) {
                #expect(x["path"] as? String == y["path"] as? String && x["score"] as? Double == y["score"] as? Double)
                #expect(x["start"] as? Double == y["start"] as? Double && x["text"] as? String == y["text"] as? String)
            }
        }
    }

    /// `loom index` on a FIFO blocked forever, on a symlink to /dev/zero it spun forever: named they
    /// are refused before any model loads; in a folder they are skipped, while a Latin-1 name and a
    /// name with a newline are indexed and printed escaped.
    @Test func specialFilesAndHostileNames() throws {
        let folder = try Fixtures.temporaryDirectory("loom-index-special")
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try SpecialFiles.makeFIFO(corpus.appendingPathComponent("fifo.txt"))
        try SpecialFiles.linkToDevZero(corpus.appendingPathComponent("zero.md"))
        for name in ["corpus/fifo.txt", "corpus/zero.md"] {
            let named = try CLIRunner.run(["index", name], in: folder, timeout: 60)
            #expect(!named.timedOut, "loom index \(name) hung")
            #expect(named.status != 0 && named.stderr.contains("\(name): not a regular file"), "\(named.stderr)")
        }
        guard InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil else { return }
        try SpecialFiles.create(Array("caf".utf8) + [0xE9] + Array(".txt".utf8), in: corpus, contents: Data("Espresso every morning.".utf8))
        try SpecialFiles.create(Array("new\nerror: forged.txt".utf8), in: corpus, contents: Data("A line of text.".utf8))
        let run = try CLIRunner.run(["index", "corpus", "--threads", "2"], in: folder, timeout: 300)
        #expect(!run.timedOut && run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2 added, 0 updated, 0 unchanged, 0 moved, 0 pruned, 0 failed"), "\(run.stdout)")
        #expect(run.stderr.contains("[1/2] corpus/caf\\xE9.txt: added"), "\(run.stderr)")
        #expect(run.stderr.contains("[2/2] corpus/new\\nerror: forged.txt: added") && !run.stderr.contains("\nerror: forged"), "\(run.stderr)")
        let hits = try CLIRunner.run(["search", "espresso", "--k", "1"], in: folder, timeout: 120)
        #expect(hits.stdout.contains("corpus/caf\\xE9.txt"), "\(hits.stdout)\(hits.stderr)")
    }

    @Test func clearErrorsForMissingIndexAndBadOptions() throws {
        let folder = try Fixtures.temporaryDirectory("loom-search")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = try CLIRunner.run(["search", "anything", "--index", "nothing.loom"], in: folder)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nothing.loom") && missing.stderr.contains("loom index"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("nothing.loom").path))
        let neither = try CLIRunner.run(["search"], in: folder)
        #expect(neither.status != 0 && neither.stderr.contains("--like"))
        let modality = try CLIRunner.run(["search", "x", "--modality", "video"], in: folder)
        #expect(modality.status != 0 && modality.stderr.contains("unknown modality 'video'"))
        try Data("not a database at all, just text".utf8).write(to: folder.appendingPathComponent("notes.loom"))
        let foreign = try CLIRunner.run(["search", "x", "--index", "notes.loom"], in: folder)
        #expect(foreign.status != 0 && foreign.stderr.contains("not a Loom index"), "\(foreign.stderr)")
        let noPath = try CLIRunner.run(["index", "no/such/folder"], in: folder)
        #expect(noPath.status != 0 && noPath.stderr.contains("no/such/folder"), "\(noPath.stderr)")
        // --k once reserved room for k results up front: 10^10 aborted allocating 160 GB.
        for k in ["10000000000", "0"] {
            let huge = try CLIRunner.run(["search", "x", "--k", k], in: folder)
            #expect(huge.status == 64 && huge.stderr.contains("--k must be between 1 and 10000, not \(k)"), "\(huge.stderr)")
        }
    }

    /// A model that cannot be loaded stops `loom index` before the new index file is created.
    @Test func failedModelLoadLeavesNoIndexFile() throws {
        let folder = try Fixtures.temporaryDirectory("loom-index-model")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "some words".write(to: folder.appendingPathComponent("note.txt"), atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["index", "note.txt", "--index", "new.loom", "--model", "/nonexistent"], in: folder)
        #expect(result.status != 0 && result.stderr.contains("/nonexistent"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("new.loom").path), "no empty index left behind")
    }

    /// `loom index` runs creating the same new index at once all succeed (all but one once failed with
    /// "not a Loom index" or "table items already exists" and indexed nothing).
    @Test func runsCreatingOneIndexAtOnceAllSucceed() throws {
        guard Self.modelsInstalled else { return }
        let folder = try Fixtures.temporaryDirectory("loom-index-race")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Tomatoes need full sun.".write(to: folder.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try "Diesel engines need oil.".write(to: folder.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        for round in 0..<4 {
            // Started back to back and then awaited, so they really run at once.
            let runs = try (0..<3).map { run in
                let process = Process()
                process.executableURL = CLIRunner.executable
                process.arguments = ["index", "a.txt", "b.txt", "--index", "race\(round).loom", "--threads", "1"]
                process.currentDirectoryURL = folder
                let log = folder.appendingPathComponent("race\(round)-\(run).log")
                #expect(FileManager.default.createFile(atPath: log.path, contents: nil))
                process.standardError = try FileHandle(forWritingTo: log)
                process.standardOutput = FileHandle.nullDevice
                return (process, log)
            }
            for (process, _) in runs { try process.run() }
            for (process, log) in runs {
                process.waitUntilExit()
                let stderr = try String(contentsOf: log, encoding: .utf8)
                #expect(process.terminationStatus == 0, "\(stderr)")
            }
            let hits = try search("tomato sun", index: folder.appendingPathComponent("race\(round).loom"), in: folder)
            #expect(hits.count == 2 && (hits.first?["path"] as? String)?.hasSuffix("a.txt") == true, "\(hits)")
        }
    }

    /// A read-only index (no write permission, or on a read-only disk) is searched; indexing into it
    /// is refused with an error naming the file.
    @Test func readOnlyIndexIsSearchedAndNotWritten() throws {
        guard Self.modelsInstalled else { return }
        let folder = try Fixtures.temporaryDirectory("loom-index-readonly")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Tomatoes need full sun.".write(to: folder.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        let built = try CLIRunner.run(["index", "a.txt", "--index", "media.loom"], in: folder)
        #expect(built.status == 0, "\(built.stderr)")
        guard let searched = try Self.runReadOnly(["search", "tomato", "--index", "media.loom", "--json"], folder: folder) else { return }
        #expect(searched.status == 0, "\(searched.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(searched.stdout.utf8)) as? [String: Any]
        #expect((object?["results"] as? [[String: Any]])?.first?["path"] as? String == folder.appendingPathComponent("a.txt").path)
        let index = try #require(try Self.runReadOnly(["index", "a.txt", "--index", "media.loom"], folder: folder))
        #expect(index.status == 1, "\(index.stderr)")
        #expect(index.stderr.contains("media.loom: the index cannot be written here"), "\(index.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("media.loom-wal").path))
    }

    /// Runs `loom arguments` in `folder` made read-only: write-protected (chmod a-w) for a normal user;
    /// for root, who ignores permissions, a read-only bind mount in a private mount namespace. Nil
    /// when root may not mount.
    static func runReadOnly(_ arguments: [String], folder: URL) throws -> (status: Int32, stdout: String, stderr: String)? {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).map { folder.appendingPathComponent($0).path }
        guard geteuid() == 0 else {
            for path in files { try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path) }
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
            defer {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
                for path in files { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
            }
            let result = try CLIRunner.run(arguments, in: folder)
            return (result.status, result.stdout, result.stderr)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "sh", "-c", #"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@""#,
                             folder.path, CLIRunner.executable.path] + arguments
        process.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if stderr.hasPrefix("unshare:") || stderr.hasPrefix("mount:") { return nil }  // no right to mount here
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), stderr)
    }

    /// An index holding a NaN vector and infinite times (as an older Loom could write) still
    /// searches, as text and as JSON.
    @Test func searchSurvivesNonFiniteStoredValues() throws {
        let sqlite = "/usr/bin/sqlite3"
        guard Self.modelsInstalled, FileManager.default.isExecutableFile(atPath: sqlite) else { return }
        let folder = try Fixtures.temporaryDirectory("loom-index-nan")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Tomatoes need full sun.".write(to: folder.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try "Diesel engines need oil.".write(to: folder.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        let built = try CLIRunner.run(["index", "a.txt", "b.txt", "--index", "media.loom"], in: folder)
        #expect(built.status == 0, "\(built.stderr)")
        let nan = "X'" + String(repeating: "0000c07f", count: 384) + "'"
        let update = Process()
        update.executableURL = URL(fileURLWithPath: sqlite)
        update.arguments = [folder.appendingPathComponent("media.loom").path, """
            UPDATE segments SET start = 1e999, "end" = 1e999;
            UPDATE vectors SET embedding = \(nan) WHERE itemId = (SELECT id FROM items WHERE path LIKE '%b.txt');
            """]
        try update.run()
        update.waitUntilExit()
        #expect(update.terminationStatus == 0)

        let json = try CLIRunner.run(["search", "tomato", "--index", "media.loom", "--json"], in: folder)
        #expect(json.status == 0, "\(json.stderr)")
        let results = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]]
        #expect(results?.map { ($0["path"] as? String)?.hasSuffix("a.txt") } == [true], "the NaN item is left out: \(json.stdout)")
        let text = try CLIRunner.run(["search", "diesel", "--index", "media.loom", "--segments"], in: folder)
        #expect(text.status == 0 && text.stdout.contains("a.txt"), "\(text.stderr)")
    }
}
