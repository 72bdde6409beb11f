import Foundation
import LoomTasks
import LoomTestSupport
import Testing

/// The one output writer: inputs and files Loom did not write are never replaced without
/// `--overwrite` (inputs never), Loom's own unchanged files are, and writes are whole-or-nothing.
@Suite struct OutputWriterTests {
    func folder() throws -> URL { try Fixtures.temporaryDirectory("loom-writer") }

    @Test func writesNewFilesAndReplacesItsOwn() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("talk.txt")
        let writer = OutputWriter(kind: "transcribe", overwrite: false)
        #expect(writer.status(of: file) == .absent)
        try writer.write("first\n", to: file)
        #expect(writer.status(of: file) == .replaceable)
        // A later run of the same kind (a new writer, as a new process has) may replace it.
        let later = OutputWriter(kind: "transcribe", overwrite: false)
        #expect(later.check([file]).finished)
        try later.write("second\n", to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "second\n")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["talk.txt", OutputWriter.ledgerName])
    }

    @Test func keepsFilesLoomDidNotWrite() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notes = folder.appendingPathComponent("talk.txt")
        try Data("my own notes\n".utf8).write(to: notes)
        let writer = OutputWriter(kind: "transcribe", overwrite: false)
        #expect(writer.status(of: notes) == .refused(.notWrittenByLoom(notes.path)))
        #expect(throws: OutputWriter.Refusal.notWrittenByLoom(notes.path)) { try writer.write("transcript\n", to: notes) }
        #expect(try String(contentsOf: notes, encoding: .utf8) == "my own notes\n")
        let check = writer.check([notes, folder.appendingPathComponent("talk.srt")])
        #expect(!check.finished && check.writable == [folder.appendingPathComponent("talk.srt")] && check.refused.count == 1)
        // Nothing missing but a refused file: no work to do.
        try writer.write("1\n", to: folder.appendingPathComponent("talk.srt"))
        let done = writer.check([notes, folder.appendingPathComponent("talk.srt")])
        #expect(!done.finished && done.writable.isEmpty && done.refused.count == 1)

        // --overwrite replaces it, and nothing then counts as finished.
        let overwriting = OutputWriter(kind: "transcribe", overwrite: true)
        try overwriting.write("transcript\n", to: notes)
        #expect(try String(contentsOf: notes, encoding: .utf8) == "transcript\n")
        #expect(!overwriting.check([notes]).finished)
    }

    @Test func aFileEditedSinceOrWrittenByAnotherKindOfRunIsTheUsers() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("photo.txt")
        try OutputWriter(kind: "caption", overwrite: false).write("a cat\n", to: file)
        #expect(OutputWriter(kind: "transcribe", overwrite: false).status(of: file) == .refused(.notWrittenByLoom(file.path)))
        try Data("a cat, said my aunt\n".utf8).write(to: file)
        #expect(OutputWriter(kind: "caption", overwrite: false).status(of: file) == .refused(.changedSinceWritten(file.path)))
    }

    @Test func neverWritesOverAnInputHoweverItIsSpelled() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("jfk.wav")
        try FileManager.default.copyItem(at: Fixtures.sample("audio/jfk.wav"), to: input)
        let before = try Data(contentsOf: input)
        let link = folder.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: folder)
        // Even with --overwrite, through a symbolic link or a `..`, and even when Loom wrote it once.
        let writer = OutputWriter(kind: "run", overwrite: true, inputs: [input])
        for spelling in [input, link.appendingPathComponent("jfk.wav"), folder.appendingPathComponent("sub/../jfk.wav")] {
            #expect(throws: OutputWriter.Refusal.self) { try writer.write("manifest\n", to: spelling) }
        }
        #expect(try Data(contentsOf: input) == before)
        #expect(throws: OutputWriter.Refusal.self) { try writer.write("x", to: folder.appendingPathComponent(OutputWriter.ledgerName)) }
    }

    @Test func removesTemporaryFilesOfKilledRunsOnly() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // No process has an id above the kernel's limit (at most 2^22): a killed run's leftover.
        let dead = folder.appendingPathComponent(".talk.srt.loom-4194305.tmp")
        let older = folder.appendingPathComponent(".manifest.jsonl.loom-tmp")
        let live = folder.appendingPathComponent(".talk.json.loom-1.tmp")  // pid 1 is alive
        let users = folder.appendingPathComponent(".mine.tmp")
        for file in [dead, older, live, users] { try Data("x".utf8).write(to: file) }
        try OutputWriter(kind: "transcribe", overwrite: false).write("text\n", to: folder.appendingPathComponent("talk.txt"))
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        #expect(left == [".talk.json.loom-1.tmp", ".mine.tmp", "talk.txt", OutputWriter.ledgerName])
    }

    @Test func streamedFilesAreCommittedThroughTheSameChecks() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("manifest.jsonl")
        let writer = OutputWriter(kind: "run", overwrite: false)
        let temporary = try writer.temporaryFile(for: manifest)
        try Data("{}\n".utf8).write(to: temporary)
        try writer.commit(temporary, to: manifest)
        #expect(OutputWriter(kind: "run", overwrite: false).status(of: manifest) == .replaceable)

        let users = folder.appendingPathComponent("list.jsonl")
        try Data("mine\n".utf8).write(to: users)
        let second = try writer.temporaryFile(for: users)
        try Data("{}\n".utf8).write(to: second)
        #expect(throws: OutputWriter.Refusal.notWrittenByLoom(users.path)) { try writer.commit(second, to: users) }
        #expect(!FileManager.default.fileExists(atPath: second.path), "the refused temporary file is removed")
        #expect(try String(contentsOf: users, encoding: .utf8) == "mine\n")
    }

    @Test func theLedgerStaysSmallOverManyRuns() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent(OutputWriter.ledgerName)
        let files = (0..<3).map { folder.appendingPathComponent("f\($0).txt") }
        for run in 0..<100 {
            let writer = OutputWriter(kind: "run", overwrite: false)
            // The same content again adds nothing; new content does, until the ledger is compacted.
            try writer.write("same\n", to: files[0])
            try writer.write("run \(run)\n", to: files[1])
        }
        try OutputWriter(kind: "run", overwrite: false).write("late\n", to: files[2])
        let lines = try String(contentsOf: ledger, encoding: .utf8).split(separator: "\n")
        #expect(lines.count <= 2 * 3 + 65, "\(lines.count) lines")
        #expect(OutputWriter(kind: "run", overwrite: false).check(files).finished, "every file is still known after compaction")
    }

    /// Two runs (two writers, as two processes have) writing into one folder at once: every file is
    /// recorded, so each run afterwards counts every file as Loom's own.
    @Test func concurrentWritersShareOneLedger() async throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let writers = [OutputWriter(kind: "run", overwrite: false), OutputWriter(kind: "run", overwrite: false)]
        await withTaskGroup(of: Void.self) { group in
            for (w, writer) in writers.enumerated() {
                group.addTask {
                    for i in 0..<200 { try? writer.write("\(w) \(i)\n", to: folder.appendingPathComponent("f\(i % 50)-\(w).txt")) }
                }
            }
        }
        let names = (0..<50).flatMap { i in (0..<2).map { folder.appendingPathComponent("f\(i)-\($0).txt") } }
        #expect(OutputWriter(kind: "run", overwrite: false).check(names).finished)
    }
}
