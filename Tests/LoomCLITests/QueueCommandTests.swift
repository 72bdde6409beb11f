import Foundation
import LoomTestSupport
import Testing

/// `loom run --queue URL --enqueue`, `loom worker` and `loom queue` end to end on a throwaway
/// PostgreSQL server, with whisper-tiny.en on short clips: enqueuing twice adds each file once, a
/// draining worker transcribes them into the pipeline's output folder, and a corrupt file ends dead
/// after its attempts, with its error.
@Suite(.serialized) struct QueueCommandTests {
    @Test func enqueueWorkAndInspectTheQueue() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, let cluster = PostgresTestCluster.shared() else { return }
        let queue = try cluster.createDatabase("cli_queue").absoluteString
        let folder = try Fixtures.temporaryDirectory("loom-queue")
        defer { try? FileManager.default.removeItem(at: folder) }
        let media = folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        for name in ["jfk.wav", "arctic_a0007.wav", "arctic_a0007_8k.wav"] {
            try FileManager.default.copyItem(at: Fixtures.sample("audio/\(name)"), to: media.appendingPathComponent(name))
        }
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEnot audio".utf8).write(to: media.appendingPathComponent("broken.wav"))
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
