import Foundation
import LoomPostgres
import LoomTestSupport
import Testing

/// The work queue's faults together, as the proof names them: three `loom worker` processes
/// on one machine, 30 real speech clips (whisper-tiny.en, then MiniLM into an index in the queue's
/// database) and one corrupt file. One worker is killed (-9) while it holds an item, the server is
/// restarted (`pg_ctl restart`) mid-run, and another worker is stopped (SIGSTOP) past its lease and
/// continued (SIGCONT) after its item was claimed again. Then every result is counted: each item
/// done exactly once, each in the index once, with no duplicate segment, every transcript written,
/// the stopped worker's late commit rejected, and the corrupt file dead after its attempts.
@Suite(.serialized) struct QueueFaultTests {
    static let clipCount = 30

    /// 2.5 s windows of two real recordings (jfk.wav, arctic_a0007.wav) at distinct offsets: 30
    /// files of real speech with 30 different contents (the queue keys items by content hash).
    static func writeClips(into folder: URL) throws -> [String] {
        var names: [String] = []
        for (sample, count) in [("jfk.wav", 22), ("arctic_a0007.wav", 8)] {
            let (header, samples) = try pcm16(Fixtures.sample("audio/\(sample)"))
            let window = Int(header.rate * 2.5)
            let step = max(1, (samples.count - window) / max(count - 1, 1))
            for index in 0..<count {
                let start = min(index * step, samples.count - window)
                let name = "\((sample as NSString).deletingPathExtension)-\(index).wav"
                try wav(Array(samples[start..<start + window]), rate: header.rate).write(to: folder.appendingPathComponent(name))
                names.append(name)
            }
        }
        return names
    }

    /// The 16-bit mono PCM samples of a WAV file and its sample rate.
    static func pcm16(_ url: URL) throws -> (header: (rate: Double, channels: Int), samples: [Int16]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        var offset = 12, rate = 0.0, channels = 0
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self), size = u32(offset + 4)
            if id == "fmt " {
                channels = Int(bytes[offset + 10]) | Int(bytes[offset + 11]) << 8
                rate = Double(u32(offset + 12))
            } else if id == "data" {
                let body = bytes[(offset + 8)..<min(offset + 8 + size, bytes.count)]
                let samples = stride(from: body.startIndex, to: body.endIndex - 1, by: 2).map { Int16(bitPattern: UInt16(body[$0]) | UInt16(body[$0 + 1]) << 8) }
                try #require(channels == 1, "\(url.lastPathComponent) is mono")
                return ((rate, channels), samples)
            }
            offset += 8 + size + (size & 1)
        }
        throw CLIError(message: "\(url.path): no data chunk")
    }

    static func wav(_ samples: [Int16], rate: Double) -> Data {
        var data = Data("RIFF".utf8)
        func append(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        append(UInt32(36 + samples.count * 2))
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        append(16); append16(1); append16(1); append(UInt32(rate)); append(UInt32(rate) * 2); append16(2); append16(16)
        data.append(contentsOf: Array("data".utf8))
        append(UInt32(samples.count * 2))
        for sample in samples { append16(UInt16(bitPattern: sample)) }
        return data
    }

    struct CLIError: Error { let message: String }

    static func pipeline(in folder: URL, index: URL) throws -> URL {
        let file = folder.appendingPathComponent("faults.yaml")
        try """
            name: faults
            inputs:
              - path: in
                media: [audio]
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
                with:
                  file: \(index.absoluteString)
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

    /// A worker process with its stderr in a log file.
    final class WorkerProcess {
        let process = Process()
        let log: URL

        init(pipeline: URL, queue: URL, folder: URL, number: Int) throws {
            log = folder.appendingPathComponent("worker-\(number).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = CLIRunner.executable
            process.arguments = ["worker", pipeline.path, "--queue", queue.absoluteString, "--drain", "--lease", "2s", "--threads", "1"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }
        var printed: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// The numbers of its closing line: done, failed, dead, lost.
        var summary: [Int]? {
            guard let line = printed.split(separator: "\n").last(where: { $0.contains(" lost their claim") }) else { return nil }
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            return numbers.count >= 4 ? Array(numbers.prefix(4)) : nil
        }
    }

    /// Polls `body` every 20 ms for up to `seconds` until it gives a value.
    static func waitFor<T>(_ seconds: Double, _ body: () throws -> T?) rethrows -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value = try body() { return value }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    @Test func threeWorkersThroughAKillARestartAndAStallLoseAndDuplicateNothing() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, InstalledModels.file("minilm-l6-v2", "config.json") != nil,
              PostgresTestCluster.shared() != nil else { return }
        let cluster = try PostgresTestCluster.startPrivate()
        defer { cluster.stopAndRemove() }
        let url = try cluster.createDatabase("faults")
        let folder = try Fixtures.temporaryDirectory("loom-queue-faults")
        defer { try? FileManager.default.removeItem(at: folder) }
        let media = folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        let clips = try Self.writeClips(into: media)
        #expect(clips.count == Self.clipCount)
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEnot audio".utf8).write(to: media.appendingPathComponent("corrupt.wav"))
        let file = try Self.pipeline(in: folder, index: url)
        // The file names another input folder: the items' own (--input) decide where outputs go.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("in"), withIntermediateDirectories: true)
        let enqueued = try CLIRunner.run(["run", file.path, "--input", media.path, "--queue", url.absoluteString, "--enqueue",
                                          "--max-attempts", "2"])
        #expect(enqueued.stdout.contains("31 of 31 inputs added"), "\(enqueued.stdout)\(enqueued.stderr)")

        let workers = try (0..<3).map { try WorkerProcess(pipeline: file, queue: url, folder: folder, number: $0) }
        defer { for worker in workers where worker.process.isRunning { kill(worker.pid, SIGCONT); kill(worker.pid, SIGKILL) } }
        let db = try PostgresConnection(url: url)
        /// The item `worker` holds on its first attempt, claimed within the last 0.3 s (so it is
        /// still being worked on, not committing).
        func freshClaim(of worker: WorkerProcess) throws -> Int64? {
            try db.query("""
                SELECT id FROM loom.work WHERE state = 'running' AND attempts = 1 AND worker LIKE '%:' || $1
                  AND lease_until > now() + interval '1.7 seconds'
                """, [.text(String(worker.pid))]).int(0, 0)
        }

        // kill -9 of a worker holding an item.
        let killed = try #require(try Self.waitFor(120) { try freshClaim(of: workers[0]) }, "worker 0 claimed an item")
        kill(workers[0].pid, SIGKILL)
        workers[0].process.waitUntilExit()

        // The server restarts while the others work.
        try cluster.restart()
        try db.reconnect(within: 30)

        // SIGSTOP of a worker holding an item (whichever of the two claims first), past its lease;
        // SIGCONT once another worker took it. Stopped inside a transaction (its commit), it would
        // hold the row: then let it go on and stop it at its next item.
        var stopped: (item: Int64, worker: WorkerProcess)?
        for _ in 0..<5 where stopped == nil {
            guard let (item, worker) = try Self.waitFor(60, {
                try freshClaim(of: workers[1]).map { ($0, workers[1]) } ?? freshClaim(of: workers[2]).map { ($0, workers[2]) }
            }) else { break }
            kill(worker.pid, SIGSTOP)
            Thread.sleep(forTimeInterval: 0.3)
            let midTransaction = try db.query("""
                SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND now() - state_change > interval '0.2 seconds'
                """).int(0, 0) ?? 0
            if midTransaction > 0 { kill(worker.pid, SIGCONT); continue }
            stopped = (item, worker)
        }
        let (stalled, stalledWorker) = try #require(stopped, "a worker was stopped holding an item: \(workers.map(\.printed))")
        let reclaimed = try Self.waitFor(60) {
            try db.query("SELECT 1 FROM loom.work WHERE id = $1 AND attempts = 2", [.int(stalled)]).int(0, 0)
        }
        #expect(reclaimed != nil, "another worker claimed the stalled item after its lease")
        kill(stalledWorker.pid, SIGCONT)

        for worker in workers.dropFirst() {
            _ = Self.waitFor(300) { worker.process.isRunning ? nil : true }
            #expect(!worker.process.isRunning, "worker \(worker.pid) drained the queue")
        }
        let summaries = workers.dropFirst().compactMap(\.summary)
        #expect(summaries.count == 2, "\(workers.map(\.printed))")
        #expect(stalledWorker.summary?[3] == 1, "the stalled worker's late commit was rejected: \(stalledWorker.printed)")
        #expect(summaries.map { $0[2] }.reduce(0, +) == 1, "the corrupt file ended dead, once: \(summaries)")

        // The queue: 30 done once, the killed and the stalled items on their second attempt, the
        // corrupt file dead after 2 attempts with its error; nothing left running.
        let rows = try db.query("SELECT id, path, state, attempts, coalesce(last_error, '') FROM loom.work ORDER BY id")
        var states: [String: Int] = [:]
        for row in 0..<rows.count { states[rows.string(row, 2) ?? "", default: 0] += 1 }
        #expect(states == ["done": 30, "dead": 1], "\(states); \((0..<rows.count).map { rows.string($0, 4) ?? "" }.filter { !$0.isEmpty }.prefix(2))")
        for row in 0..<rows.count {
            let (id, path, state, attempts, error) = (try rows.int(row, 0)!, rows.string(row, 1)!, rows.string(row, 2)!,
                                                      try rows.int(row, 3)!, rows.string(row, 4)!)
            if id == killed || id == stalled { #expect(state == "done" && attempts == 2, "\(path): \(state) after \(attempts)") }
            if path.hasSuffix("corrupt.wav") {
                #expect(state == "dead" && attempts == 2 && error.contains("corrupt.wav"), "\(state) \(attempts) \(error)")
            }
        }

        // The index (same database): each clip once, no segment twice; every transcript written.
        let items = try db.query("SELECT count(*), count(DISTINCT path) FROM loom.items WHERE status = 'ok'")
        #expect(try items.int(0, 0) == 30 && items.int(0, 1) == 30, "each clip indexed once")
        let duplicates = try db.query("""
            SELECT count(*) FROM (SELECT item_id, kind, ordinal, source FROM loom.segments
                                  GROUP BY item_id, kind, ordinal, source HAVING count(*) > 1) AS twice
            """).int(0, 0)
        #expect(duplicates == 0, "no segment stored twice")
        let spoken = try db.query("SELECT count(DISTINCT item_id) FROM loom.segments WHERE kind = 'transcript'").int(0, 0)
        #expect(spoken == 30, "every clip's transcript is in the index")
        for clip in clips {
            let text = folder.appendingPathComponent("out/" + (clip as NSString).deletingPathExtension + ".txt")
            #expect(FileManager.default.fileExists(atPath: text.path), "\(text.lastPathComponent)")
        }
    }
}
