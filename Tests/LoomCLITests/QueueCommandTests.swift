import Foundation
import LoomPostgres
import LoomTestSupport
import Testing

/// `loom run --queue URL --enqueue`, `loom worker` and `loom queue` end to end on a throwaway
/// PostgreSQL server, with whisper-tiny.en on short clips: enqueuing twice adds each file once, a
/// draining worker transcribes them into the pipeline's output folder, and a corrupt file ends dead
/// after its attempts, with its error.
@Suite(.serialized) struct QueueCommandTests {
    /// A pipeline transcribing `clips` (Samples/audio) into txt files, in `folder`.
    static func pipeline(in folder: URL, clips: [String]) throws -> URL {
        let media = folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        for name in clips {
            try FileManager.default.copyItem(at: Fixtures.sample("audio/\(name)"), to: media.appendingPathComponent(name))
        }
        let file = folder.appendingPathComponent("queued.yaml")
        try """
            name: queued
            inputs:
              - path: media
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
                  beam: 1
                  vad: off
              text:
                uses: write
                needs: [transcribe]
                with:
                  formats: [txt]
            outputs:
              folder: out
            """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// kill -9 of a worker holding an item: after its lease another worker claims it, and it is
    /// done once, on attempt 2; every item is done, none left running, every transcript written.
    @Test func aKilledWorkersItemIsDoneOnceOnItsSecondAttempt() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, let cluster = PostgresTestCluster.shared() else { return }
        let url = try cluster.createDatabase("cli_kill")
        let folder = try Fixtures.temporaryDirectory("loom-queue-kill")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clips = ["jfk.wav", "arctic_a0007.wav", "arctic_a0007_8k.wav"]
        let file = try Self.pipeline(in: folder, clips: clips)
        let enqueued = try CLIRunner.run(["run", file.path, "--queue", url.absoluteString, "--enqueue"])
        #expect(enqueued.stdout.contains("3 of 3 inputs added"), "\(enqueued.stdout)\(enqueued.stderr)")

        let doomed = Process()
        doomed.executableURL = CLIRunner.executable
        doomed.arguments = ["worker", file.path, "--queue", url.absoluteString, "--lease", "2s", "--threads", "1"]
        doomed.standardOutput = FileHandle.nullDevice
        doomed.standardError = FileHandle.nullDevice
        try doomed.run()
        let db = try PostgresConnection(url: url)
        var held: Int64?
        for _ in 0..<1200 where held == nil {
            held = try db.query("SELECT id FROM loom.work WHERE state = 'running'").int(0, 0)
            if held == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        let killedItem = try #require(held, "the first worker claimed an item")

        let rescuer = try CLIRunner.run(["worker", file.path, "--queue", url.absoluteString, "--drain", "--lease", "2s", "--threads", "2"],
                                        timeout: 600)
        #expect(rescuer.status == 0 && rescuer.stderr.contains("3 done, 0 failed"), "\(rescuer.stderr)")
        let rows = try db.query("SELECT id, state, attempts FROM loom.work ORDER BY id")
        let states = (0..<rows.count).map { "\(try! rows.int($0, 0)!) \(rows.string($0, 1)!) \(try! rows.int($0, 2)!)" }
        #expect(states.count == 3 && states.allSatisfy { $0.contains(" done ") }, "\(states)")
        #expect(states.contains("\(killedItem) done 2"), "the killed worker's item ran again, once: \(states)")
        for clip in clips {
            let name = (clip as NSString).deletingPathExtension + ".txt"
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/\(name)").path), "\(name)")
        }
    }

    /// `pg_ctl restart` while a worker runs: it waits for the server, and every item finishes once.
    @Test func aServerRestartMidRunLosesNothing() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, PostgresTestCluster.shared() != nil else { return }
        let cluster = try PostgresTestCluster.startPrivate()
        defer { cluster.stopAndRemove() }
        let url = try cluster.createDatabase("cli_restart")
        let folder = try Fixtures.temporaryDirectory("loom-queue-restart")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clips = ["jfk.wav", "arctic_a0007.wav", "arctic_a0007_8k.wav", "jfk.flac"]
        let file = try Self.pipeline(in: folder, clips: clips)
        _ = try CLIRunner.run(["run", file.path, "--queue", url.absoluteString, "--enqueue"])

        let worker = Process()
        worker.executableURL = CLIRunner.executable
        worker.arguments = ["worker", file.path, "--queue", url.absoluteString, "--drain", "--lease", "20s", "--threads", "1"]
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("loom-queue-restart-\(getpid()).log")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = try FileHandle(forWritingTo: errors)
        try worker.run()
        let db = try PostgresConnection(url: url)
        var running = false
        for _ in 0..<1200 where !running {
            running = try db.query("SELECT count(*) FROM loom.work WHERE state = 'running'").int(0, 0) == 1
            if !running { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(running)
        try cluster.restart()
        worker.waitUntilExit()
        let printed = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        #expect(worker.terminationStatus == 0 && printed.contains("4 done, 0 failed"), "\(printed)")
        try db.reconnect(within: 30)
        let rows = try db.query("SELECT state, attempts, count(*) FROM loom.work GROUP BY state, attempts")
        let (attempts, count) = (try rows.int(0, 1), try rows.int(0, 2))
        #expect(rows.count == 1 && rows.string(0, 0) == "done" && attempts == 1 && count == 4, "each item done once, on its first attempt")
    }

    /// A worker started while its database is down (a Job started with it, or during a restart)
    /// waits for it, says so, and then works, instead of exiting.
    @Test func aWorkerStartedBeforeItsServerWaitsForIt() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, PostgresTestCluster.shared() != nil else { return }
        let cluster = try PostgresTestCluster.startPrivate()
        defer { cluster.stopAndRemove() }
        let url = try cluster.createDatabase("cli_wait")
        let folder = try Fixtures.temporaryDirectory("loom-queue-wait")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try Self.pipeline(in: folder, clips: ["jfk.wav"])
        _ = try CLIRunner.run(["run", file.path, "--queue", url.absoluteString, "--enqueue"])
        try cluster.stop()
        let started = Thread { Thread.sleep(forTimeInterval: 2); try? cluster.start() }
        started.start()
        let worker = try CLIRunner.run(["worker", file.path, "--queue", url.absoluteString, "--drain", "--threads", "1"])
        #expect(worker.status == 0 && worker.stderr.contains("1 done, 0 failed"), "\(worker.stderr)")
        #expect(worker.stderr.contains("waiting up to"), "\(worker.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/jfk.txt").path))
    }

    /// SIGTERM while an item runs: the worker finishes it, claims nothing more and exits cleanly;
    /// the rest stay ready with no attempt counted.
    @Test func sigtermFinishesTheItemAndClaimsNoMore() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, let cluster = PostgresTestCluster.shared() else { return }
        let url = try cluster.createDatabase("cli_term")
        let folder = try Fixtures.temporaryDirectory("loom-queue-term")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try Self.pipeline(in: folder, clips: ["jfk.wav", "arctic_a0007.wav", "arctic_a0007_8k.wav"])
        _ = try CLIRunner.run(["run", file.path, "--queue", url.absoluteString, "--enqueue"])
        let worker = Process()
        worker.executableURL = CLIRunner.executable
        worker.arguments = ["worker", file.path, "--queue", url.absoluteString, "--lease", "30s", "--threads", "1"]
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("loom-queue-term-\(getpid()).log")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = try FileHandle(forWritingTo: errors)
        try worker.run()
        let db = try PostgresConnection(url: url)
        var running = false
        for _ in 0..<1200 where !running {
            running = try db.query("SELECT count(*) FROM loom.work WHERE state = 'running'").int(0, 0) == 1
            if !running { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(running)
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        let printed = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        #expect(worker.terminationStatus == 0 && printed.contains("SIGTERM: finishing the items running"), "\(printed)")
        let rows = try db.query("SELECT state, attempts, count(*) FROM loom.work GROUP BY state, attempts ORDER BY state")
        let states = (0..<rows.count).map { "\(rows.string($0, 0)!) \(try! rows.int($0, 1)!) \(try! rows.int($0, 2)!)" }
        #expect(states == ["done 1 1", "ready 0 2"], "the running item finished, the others untouched: \(states)")
    }

    @Test func enqueueWorkAndInspectTheQueue() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, let cluster = PostgresTestCluster.shared() else { return }
        let queue = try cluster.createDatabase("cli_queue").absoluteString
        let folder = try Fixtures.temporaryDirectory("loom-queue")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try Self.pipeline(in: folder, clips: ["jfk.wav", "arctic_a0007.wav", "arctic_a0007_8k.wav"])
        let media = folder.appendingPathComponent("media")
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEnot audio".utf8).write(to: media.appendingPathComponent("broken.wav"))

        let enqueue = ["run", file.path, "--queue", queue, "--enqueue", "--max-attempts", "2"]
        let first = try CLIRunner.run(enqueue)
        #expect(first.status == 0 && first.stdout.contains("4 of 4 inputs added"), "\(first.stdout)\(first.stderr)")
        let again = try CLIRunner.run(enqueue)
        #expect(again.stdout.contains("0 of 4 inputs added") && again.stdout.contains("4 ready, 0 running"), "\(again.stdout)")

        let worker = try CLIRunner.run(["worker", file.path, "--queue", queue, "--drain", "--lease", "30s", "--threads", "2"],
                                       timeout: 600)
        #expect(worker.status == 1, "the dead item makes the exit status non-zero: \(worker.stderr)")
        #expect(worker.stderr.contains("3 done, 2 failed (1 now dead), 0 lost their claim"), "two attempts of the broken file: \(worker.stderr)")
        let transcript = try String(contentsOf: folder.appendingPathComponent("out/jfk.txt"), encoding: .utf8)
        #expect(transcript.lowercased().contains("ask not what your country can do for you"), "\(transcript)")

        let status = try CLIRunner.run(["queue", "status", file.path, "--queue", queue])
        #expect(status.stdout.contains("queued: 0 ready, 0 running, 3 done, 1 dead, 0 cancelled"), "\(status.stdout)")
        #expect(status.stdout.contains("dead after 2 attempts: \(media.appendingPathComponent("broken.wav").path): "), "\(status.stdout)")
        let retried = try CLIRunner.run(["queue", "retry-dead", file.path, "--queue", queue])
        #expect(retried.stdout.contains("1 dead items are ready again"))
        let cancelled = try CLIRunner.run(["queue", "cancel", file.path, "--queue", queue])
        #expect(cancelled.stdout.contains("1 items cancelled"))

        let wrong = try CLIRunner.run(["run", file.path, "--queue", "media.db", "--enqueue"])
        #expect(wrong.status != 0 && wrong.stderr.contains("--queue must be a PostgreSQL URL"), "\(wrong.stderr)")
        let alone = try CLIRunner.run(["run", file.path, "--queue", queue])
        #expect(alone.status != 0 && alone.stderr.contains("--queue needs --enqueue"), "\(alone.stderr)")
    }
}
