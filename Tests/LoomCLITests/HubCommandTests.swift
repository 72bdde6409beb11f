import Foundation
import LoomModelStore
import LoomHubTestSupport
import LoomTestSupport
import Testing

/// `loom models pull hf:...`, `list`, `path` and `rm` against HubTestServer on 127.0.0.1, with the
/// Hugging Face cache in a temporary folder.
@Suite struct HubCommandTests {
    static let repoID = "loom-test/tiny-clip"

    /// The tiny CLIP folder plus a 3 MB LFS file, served; the cache and LOOM_HOME in `root`.
    struct Setup {
        let server: HubTestServer
        let served: HubTestServer.Repo
        let root: URL

        init() throws {
            let base = try HubTestServer.Repo(id: HubCommandTests.repoID, folder: Fixtures.url("clip/tiny-random"))
            var files = base.files
            var generator = SystemRandomNumberGenerator()
            files["big.bin"] = Data((0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
            served = HubTestServer.Repo(id: base.id, commit: base.commit, files: files)
            server = try HubTestServer(repos: [served])
            root = try Fixtures.temporaryDirectory("loom-hubcli")
        }

        var environment: [String: String] {
            ["HF_ENDPOINT": server.endpoint, "HF_HUB_CACHE": root.appendingPathComponent("hub").path,
             "HF_HOME": root.appendingPathComponent("hf").path, "LOOM_HOME": root.appendingPathComponent("loom").path,
             "HF_TOKEN": "", "HF_HUB_OFFLINE": ""]
        }

        func loom(_ arguments: [String], extra: [String: String] = [:], timeout: Double = 120) throws -> CLIRunner.Result {
            try CLIRunner.run(arguments, environment: environment.merging(extra) { _, new in new }, timeout: timeout)
        }

        var cache: HubCache { HubCache(root: root.appendingPathComponent("hub")) }

        func done() {
            server.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    @Test func pullListPathRemove() throws {
        let setup = try Setup()
        defer { setup.done() }
        let pull = try setup.loom(["models", "pull", "hf:\(Self.repoID)", "--include", "*.json", "--include", "*.safetensors"])
        #expect(pull.status == 0, "\(pull.stderr)")
        let snapshot = setup.cache.snapshot(HubRepo(id: Self.repoID), commit: setup.served.commit)
        #expect(pull.stdout.contains("installed in \(snapshot.path)"), "\(pull.stdout)")
        // Not a terminal: plain lines, one per file, and a closing total.
        #expect(pull.stderr.contains("  model.safetensors (") && pull.stderr.contains("fetched ") && !pull.stderr.contains("\r"), "\(pull.stderr)")
        #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("big.bin").path))

        let list = try setup.loom(["models", "list"])
        #expect(list.status == 0 && list.stdout.contains("hf:\(Self.repoID)") && list.stdout.contains("in cache"), "\(list.stdout)")
        #expect(list.stdout.contains("clip-vit-base-patch32") && list.stdout.contains("hf:openai/clip-vit-base-patch32@d15b5f29721c"))

        let path = try setup.loom(["models", "path", "hf:\(Self.repoID)"])
        #expect(path.status == 0 && path.stdout == snapshot.path + "\n", "\(path.stdout) \(path.stderr)")

        // --model ORG/NAME anywhere: loom embed reads the snapshot.
        let embed = try setup.loom(["embed", "--model", Self.repoID, Fixtures.sample("images/chelsea.jpg").path])
        #expect(embed.status == 0 && embed.stdout.hasPrefix("chelsea.jpg\t") || embed.stdout.contains("chelsea.jpg\t"), "\(embed.stderr)")

        let rm = try setup.loom(["models", "rm", "hf:\(Self.repoID)"])
        #expect(rm.status == 0 && !FileManager.default.fileExists(atPath: setup.cache.repoFolder(HubRepo(id: Self.repoID)).path))
        let again = try setup.loom(["models", "rm", "hf:\(Self.repoID)"])
        #expect(again.status != 0 && again.stderr.contains("not in the Hugging Face cache"), "\(again.stderr)")
        let missing = try setup.loom(["embed", "--model", Self.repoID, Fixtures.sample("images/chelsea.jpg").path])
        #expect(missing.status != 0 && missing.stderr.contains("loom models pull hf:\(Self.repoID)"), "\(missing.stderr)")
    }

    /// A catalog Hub entry end to end: clip-vit-base-patch32 (pinned to a commit) served by the test
    /// server with the tiny CLIP weights at that commit; `loom embed` without --model then uses it.
    @Test func catalogHubEntry() throws {
        let setup = try Setup()
        defer { setup.done() }
        let entry = try #require(Catalog.model(named: "clip-vit-base-patch32")?.hub)
        let tiny = try HubTestServer.Repo(id: entry.repo.id, folder: Fixtures.url("clip/tiny-random"))
        setup.server.add(HubTestServer.Repo(id: entry.repo.id, commit: entry.repo.revision, files: tiny.files))
        let pull = try setup.loom(["models", "pull", "clip-vit-base-patch32"])
        #expect(pull.status == 0 && pull.stdout.contains("clip-vit-base-patch32: installed in"), "\(pull.stderr)")
        let list = try setup.loom(["models", "list"])
        let row = list.stdout.split(separator: "\n").first { $0.hasPrefix("clip-vit-base-patch32 ") }
        #expect(row?.contains("installed") == true && row?.contains(" 0 MB") == true, "\(list.stdout)")
        let embed = try setup.loom(["embed", Fixtures.sample("images/chelsea.jpg").path])
        #expect(embed.status == 0 && embed.stdout.split(separator: "\t").last?.split(separator: ",").count == 24, "\(embed.stderr)")
        let again = try setup.loom(["models", "pull", "clip-vit-base-patch32"])
        #expect(again.stdout.contains("already installed"), "\(again.stdout)")
        let rm = try setup.loom(["models", "rm", "clip-vit-base-patch32"])
        #expect(rm.status == 0 && !FileManager.default.fileExists(atPath: setup.cache.repoFolder(entry.repo).path), "\(rm.stderr)")
    }

    /// kill -9 while a file is half fetched: finished files stay, the partial blob never shows in the
    /// snapshot, and the next pull fetches only the rest of it (Range), not the finished files.
    @Test func killedMidPullThenRerun() throws {
        let setup = try Setup()
        defer { setup.done() }
        var faults = HubTestServer.Faults()
        faults.stallAfter = ["big.bin": 1_000_000]
        setup.server.faults = faults
        let killed = try setup.loom(["models", "pull", "hf:\(Self.repoID)"], timeout: 5)
        #expect(killed.timedOut, "the pull ended by itself: \(killed.status) \(killed.stderr)")
        let repo = HubRepo(id: Self.repoID, revision: setup.served.commit)
        let bigSHA = SHA256.hex(of: setup.served.files["big.bin"]!)
        #expect(setup.cache.file("big.bin", in: repo, commit: setup.served.commit) == nil)
        let partial = setup.cache.incompleteBlob(repo, etag: bigSHA)
        let partialSize = (try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int) ?? 0
        #expect(partialSize > 0 && partialSize <= 1_000_000, "partial \(partialSize)")
        #expect(setup.cache.file("config.json", in: repo, commit: setup.served.commit) != nil)

        setup.server.faults = HubTestServer.Faults()
        setup.server.clearRequests()
        let rerun = try setup.loom(["models", "pull", "hf:\(Self.repoID)"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        for (path, data) in setup.served.files {
            #expect(try Data(contentsOf: setup.cache.snapshot(repo, commit: setup.served.commit).appendingPathComponent(path)) == data, "\(path)")
        }
        let requests = setup.server.requests
        #expect(requests.contains("GET /lfs/\(bigSHA) bytes=\(partialSize)-"), "\(requests)")
        #expect(!requests.contains { $0.contains("config.json") }, "finished files were fetched again: \(requests)")
    }

    /// No network says so within 10 s: at once for a refused connection, at the answer timeout for an
    /// endpoint that accepts and never answers.
    @Test func noNetworkWithinTenSeconds() throws {
        let setup = try Setup()
        defer { setup.done() }
        var started = ContinuousClock.now
        let refused = try setup.loom(["models", "pull", "hf:\(Self.repoID)"], extra: ["HF_ENDPOINT": "http://127.0.0.1:9"])
        let refusedTime = ContinuousClock.now - started
        #expect(refused.status != 0 && refused.stderr.contains("cannot reach the Hub at http://127.0.0.1:9"), "\(refused.stderr)")
        #expect(refusedTime < .seconds(3), "\(refusedTime)")
        var faults = HubTestServer.Faults()
        faults.silent = true
        setup.server.faults = faults
        started = ContinuousClock.now
        let silent = try setup.loom(["models", "pull", "hf:\(Self.repoID)"], timeout: 30)
        let silentTime = ContinuousClock.now - started
        #expect(silent.status != 0 && silent.stderr.contains("no answer within 10 s"), "\(silent.stderr)")
        #expect(silentTime < .seconds(11), "\(silentTime)")
    }

    @Test func gatedOfflineAndNotFoundMessages() throws {
        let setup = try Setup()
        defer { setup.done() }
        var faults = HubTestServer.Faults()
        faults.requiredToken = "hf_right"
        setup.server.faults = faults
        let gated = try setup.loom(["models", "pull", "hf:\(Self.repoID)"])
        #expect(gated.status != 0 && gated.stderr.contains("401") && gated.stderr.contains("HF_TOKEN"), "\(gated.stderr)")
        // The token file under HF_HOME, as `hf auth login` writes it.
        try FileManager.default.createDirectory(at: setup.root.appendingPathComponent("hf"), withIntermediateDirectories: true)
        try Data("hf_right\n".utf8).write(to: setup.root.appendingPathComponent("hf/token"))
        let withToken = try setup.loom(["models", "pull", "hf:\(Self.repoID)", "--include", "*.json"])
        #expect(withToken.status == 0, "\(withToken.stderr)")

        let absent = try setup.loom(["models", "pull", "hf:loom-test/absent@v3"])
        #expect(absent.status != 0 && absent.stderr.contains("loom-test/absent") && absent.stderr.contains("v3"), "\(absent.stderr)")
        setup.server.clearRequests()
        let offline = try setup.loom(["models", "pull", "hf:loom-test/other"], extra: ["HF_HUB_OFFLINE": "1"])
        #expect(offline.status != 0 && offline.stderr.contains("HF_HUB_OFFLINE"), "\(offline.stderr)")
        #expect(setup.server.requests.isEmpty)
        let badSpec = try setup.loom(["models", "pull", "hf:not a repo"])
        #expect(badSpec.status != 0 && badSpec.stderr.contains("hf:ORG/NAME"), "\(badSpec.stderr)")
    }
}
