import Foundation
import LoomTestSupport
import Testing
@testable import LoomModelStore

/// The huggingface_hub cache layout and environment, without a network.
@Suite struct HubCacheTests {
    @Test func parsesRepoSpecs() {
        #expect(HubRepo(parsing: "openai/clip-vit-base-patch32") == HubRepo(id: "openai/clip-vit-base-patch32", revision: "main"))
        #expect(HubRepo(parsing: "hf:org/name@v1.0") == HubRepo(id: "org/name", revision: "v1.0"))
        #expect(HubRepo(parsing: "hf:org/name@refs/pr/1")?.revision == "refs/pr/1")
        for bad in ["name", "a/b/c", "/b", "a/", "org/na me", "org/name@", "org/name@../x", "./x/y", "../a", "a/.b", "org/náme"] {
            #expect(HubRepo(parsing: bad) == nil, "\(bad)")
        }
        #expect(HubRepo(id: "org/name").folderName == "models--org--name")
    }

    @Test func readsTheEnvironmentAsHuggingfaceHub() throws {
        let root = try Fixtures.temporaryDirectory("loom-hubenv")
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("hf_file_token\n".utf8).write(to: root.appendingPathComponent("token"))
        let fromHome = HubEnvironment(reading: ["HF_HOME": root.path, "HF_ENDPOINT": "http://127.0.0.1:1/", "HF_HUB_OFFLINE": "1"])
        #expect(fromHome.cacheFolder.path == root.appendingPathComponent("hub").path)
        #expect(fromHome.token == "hf_file_token" && fromHome.endpoint == "http://127.0.0.1:1" && fromHome.offline)
        let explicit = HubEnvironment(reading: ["HF_HOME": root.path, "HF_HUB_CACHE": "/tmp/elsewhere", "HF_TOKEN": "hf_env", "HF_HUB_OFFLINE": "0"])
        #expect(explicit.cacheFolder.path == "/tmp/elsewhere" && explicit.token == "hf_env" && !explicit.offline)
        let defaults = HubEnvironment(reading: ["XDG_CACHE_HOME": root.path])
        #expect(defaults.cacheFolder.path == root.appendingPathComponent("huggingface/hub").path)
        #expect(defaults.endpoint == "https://huggingface.co" && defaults.token == nil)
    }

    /// Snapshots link to blobs with relative paths (one `..` per folder), refs name commits, and a
    /// revision the cache has not seen resolves to nothing.
    @Test func layout() throws {
        let root = try Fixtures.temporaryDirectory("loom-hubcache")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = HubCache(root: root)
        let repo = HubRepo(id: "org/tiny")
        let commit = String(repeating: "ab", count: 20)
        #expect(cache.commit(for: repo) == nil && cache.snapshotFolder(repo) == nil)
        try FileManager.default.createDirectory(at: cache.blob(repo, etag: "x").deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: cache.blob(repo, etag: "e1"))
        try Data("[]".utf8).write(to: cache.blob(repo, etag: "e2"))
        try cache.link("config.json", in: repo, commit: commit, etag: "e1")
        try cache.link("sub/dir/x.json", in: repo, commit: commit, etag: "e2")
        try cache.writeRef(repo, commit: commit)
        let snapshot = try #require(cache.snapshotFolder(repo))
        #expect(snapshot.lastPathComponent == commit)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("config.json").path) == "../../blobs/e1")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("sub/dir/x.json").path) == "../../../../blobs/e2")
        #expect(try String(contentsOf: snapshot.appendingPathComponent("sub/dir/x.json"), encoding: .utf8) == "[]")
        #expect(cache.commit(for: HubRepo(id: "org/tiny", revision: commit)) == commit)
        #expect(cache.commit(for: HubRepo(id: "org/tiny", revision: "v2")) == nil)
        // A link whose blob is missing (a half-deleted cache) is not a file.
        try cache.link("gone.bin", in: repo, commit: commit, etag: "missing")
        #expect(cache.file("gone.bin", in: repo, commit: commit) == nil)
        #expect(cache.repos() == [HubCache.CachedRepo(id: "org/tiny", size: 4, snapshots: [commit], refs: ["main": commit])])
        #expect(try cache.remove(repo) && cache.repos().isEmpty && !(try cache.remove(repo)))
    }

    @Test func progressBar() {
        #expect(PullProgressPrinter.bar(done: 50_000_000, total: 100_000_000, seconds: 5, width: 10)
            == "[#####-----] 50.0/100.0 MB  10.0 MB/s  ETA 5 s")
        #expect(PullProgressPrinter.bar(done: 0, total: 0, seconds: 0, width: 4) == "[----] 0.0/0.0 MB  0.0 MB/s  ")
    }
}

/// What a pull prints: on a terminal one bar redrawn in place, elsewhere plain lines.
@Suite struct PullProgressPrinterTests {
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func write(_ piece: String) { lock.withLock { text += piece } }
        var all: String { lock.withLock { text } }
    }

    func events(_ printer: PullProgressPrinter) {
        printer.handle(.plan(repo: "org/name", commit: String(repeating: "a", count: 40), files: 1, bytes: 2_000_000, alreadyThere: 1))
        printer.handle(.fileStarted(path: "model.safetensors", size: 2_000_000))
        printer.handle(.bytes(path: "model.safetensors", count: 1_000_000, resumed: false))
        printer.handle(.retrying(path: "model.safetensors", attempt: 2, detail: "the server closed the connection"))
        printer.handle(.bytes(path: "model.safetensors", count: 1_000_000, resumed: false))
        printer.handle(.fileDone(path: "model.safetensors"))
        printer.finish()
    }

    @Test func terminalBarAndPlainLines() {
        let tty = Sink()
        events(PullProgressPrinter(terminal: true, write: { tty.write($0) }))
        #expect(tty.all.contains("\r\u{1B}[K[") && tty.all.contains("MB/s") && tty.all.contains("model.safetensors done"), "\(tty.all)")
        #expect(tty.all.contains("1 already in the cache") && tty.all.hasSuffix("/s)\n"))

        let plain = Sink()
        events(PullProgressPrinter(terminal: false, write: { plain.write($0) }))
        #expect(!plain.all.contains("\r") && !plain.all.contains("\u{1B}"), "\(plain.all)")
        #expect(plain.all.contains("  model.safetensors (2.0 MB)\n") && plain.all.contains("resuming (try 2)") && plain.all.contains("fetched 2.0 MB"))
    }
}
