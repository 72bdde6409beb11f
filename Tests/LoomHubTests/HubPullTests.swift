import Foundation
import LoomHubTestSupport
import LoomTestSupport
import Testing
@testable import LoomHub
@testable import LoomModelStore

/// Pulls from the Hub-shaped server on 127.0.0.1 (HubTestServer) serving the seeded tiny CLIP folder.
@Suite struct HubPullTests {
    @Test func includePatternsMatchAsFnmatch() {
        #expect(HubDownloader.matches("*.json", "config.json") && HubDownloader.matches("*.json", "onnx/config.json"))
        #expect(HubDownloader.matches("onnx/", "onnx/model.onnx") && !HubDownloader.matches("onnx/", "model.onnx"))
        #expect(!HubDownloader.matches("*.safetensors", "model.bin"))
    }

    static let folder = Fixtures.url("clip/tiny-random")
    static let repoID = "loom-test/tiny-clip"

    /// A server with the tiny CLIP repo (plus a nested file), a fresh cache, and an environment for both.
    struct Setup {
        let server: HubTestServer
        let root: URL
        let served: HubTestServer.Repo

        init(renamed: [String: String] = [:]) throws {
            let base = try HubTestServer.Repo(id: HubPullTests.repoID, folder: HubPullTests.folder)
            var files = base.files
            files["extra/notes.txt"] = Data("nested file\n".utf8)
            served = HubTestServer.Repo(id: base.id, commit: base.commit, refs: ["main", "v1"], files: files)
            server = try HubTestServer(repos: [served], renamed: renamed)
            root = try Fixtures.temporaryDirectory("loom-hubpull")
        }

        func environment(token: String? = nil, offline: Bool = false, endpoint: String? = nil) -> HubEnvironment {
            HubEnvironment(endpoint: endpoint ?? server.endpoint, cacheFolder: root.appendingPathComponent("hub"),
                           token: token, tokenFile: root.appendingPathComponent("token"), offline: offline)
        }

        func pull(_ spec: String = HubPullTests.repoID, include: [String] = [], token: String? = nil) async throws -> HubPullOutcome {
            try await HubDownloader(environment: environment(token: token)).pull(HubRepo(parsing: spec)!, include: include)
        }

        func done() {
            server.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    @Test func pullsIntoTheHubLayoutOnce() async throws {
        let setup = try Setup()
        defer { setup.done() }
        let outcome = try await setup.pull()
        #expect(outcome.commit == setup.served.commit)
        #expect(outcome.snapshot.lastPathComponent == setup.served.commit)
        for (path, data) in setup.served.files {
            #expect(try Data(contentsOf: outcome.snapshot.appendingPathComponent(path)) == data, "\(path)")
        }
        // The LFS file's blob is named by its sha256, the snapshot entry is a relative link to it.
        let weights = outcome.snapshot.appendingPathComponent("model.safetensors")
        let sha = SHA256.hex(of: setup.served.files["model.safetensors"]!)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: weights.path) == "../../blobs/\(sha)")
        let cache = setup.environment().cache
        #expect(try String(contentsOf: cache.repoFolder(HubRepo(id: Self.repoID)).appendingPathComponent("refs/main"), encoding: .utf8)
            == setup.served.commit)
        #expect(setup.server.requests.contains { $0.hasPrefix("GET /lfs/\(sha)") })

        setup.server.clearRequests()
        let again = try await setup.pull()
        #expect(again.fetched.isEmpty && again.alreadyThere.count == setup.served.files.count)
        #expect(!setup.server.requests.contains { $0.hasPrefix("GET /lfs") || $0.hasPrefix("HEAD") }, "\(setup.server.requests)")
    }

    @Test func includeAndRevisions() async throws {
        let setup = try Setup()
        defer { setup.done() }
        let outcome = try await setup.pull(Self.repoID + "@v1", include: ["*.json"])
        #expect(Set(outcome.fetched) == ["config.json", "preprocessor_config.json"])
        #expect(!FileManager.default.fileExists(atPath: outcome.snapshot.appendingPathComponent("model.safetensors").path))
        #expect(setup.environment().cache.commit(for: HubRepo(id: Self.repoID, revision: "v1")) == setup.served.commit)
        await #expect(throws: HubError.nothingMatched(repo: Self.repoID, patterns: ["*.onnx"], files: setup.served.files.keys.sorted())) {
            try await setup.pull(include: ["*.onnx"])
        }
    }

    /// The server drops the connection after 40 kB of the weights: the pull resumes with Range and the
    /// file is whole.
    @Test func resumesAfterADroppedConnection() async throws {
        let setup = try Setup()
        defer { setup.done() }
        var faults = HubTestServer.Faults()
        faults.dropAfter = ["model.safetensors": 40_000]
        setup.server.faults = faults
        let outcome = try await setup.pull()
        let data = setup.served.files["model.safetensors"]!
        #expect(try Data(contentsOf: outcome.snapshot.appendingPathComponent("model.safetensors")) == data)
        let gets = setup.server.requests.filter { $0.hasPrefix("GET /lfs/") }
        // It resumes after the bytes that arrived (up to the 40 kB the server sent before closing).
        let resumedAt = gets.count == 2 ? gets[1].split(separator: "=").last.flatMap { Int($0.dropLast()) } : nil
        #expect(resumedAt.map { $0 > 0 && $0 <= 40_000 } == true, "\(gets)")
    }

    /// A partial blob left by a killed process is continued from where it stopped.
    @Test func continuesAnIncompleteBlob() async throws {
        let setup = try Setup()
        defer { setup.done() }
        let data = setup.served.files["model.safetensors"]!
        let repo = HubRepo(id: Self.repoID)
        let cache = setup.environment().cache
        let partial = cache.incompleteBlob(repo, etag: SHA256.hex(of: data))
        try FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.prefix(100_000).write(to: partial)
        let outcome = try await setup.pull()
        #expect(try Data(contentsOf: outcome.snapshot.appendingPathComponent("model.safetensors")) == data)
        #expect(setup.server.requests.contains { $0.hasPrefix("GET /lfs/") && $0.hasSuffix("bytes=100000-") })
        #expect(!FileManager.default.fileExists(atPath: partial.path))
    }

    @Test func rejectsAWrongSHA256NamingTheFile() async throws {
        let setup = try Setup()
        defer { setup.done() }
        var faults = HubTestServer.Faults()
        faults.corrupt = ["model.safetensors"]
        setup.server.faults = faults
        do {
            _ = try await setup.pull()
            Issue.record("a corrupted file was accepted")
        } catch let error as HubError {
            guard case .checksumMismatch(_, let file, let expected, _) = error else { Issue.record("\(error)"); return }
            #expect(file == "model.safetensors" && expected == SHA256.hex(of: setup.served.files[file]!))
            #expect(error.description.contains("model.safetensors"))
        }
        let repo = HubRepo(id: Self.repoID, revision: setup.served.commit)
        let cache = setup.environment().cache
        #expect(cache.file("model.safetensors", in: repo, commit: setup.served.commit) == nil)
        let blobs = try FileManager.default.contentsOfDirectory(atPath: cache.repoFolder(repo).appendingPathComponent("blobs").path)
        #expect(!blobs.contains { $0.hasSuffix(".incomplete") }, "\(blobs)")
    }

    @Test func gatedReposAskForAToken() async throws {
        let setup = try Setup()
        defer { setup.done() }
        var faults = HubTestServer.Faults()
        faults.requiredToken = "hf_secret"
        setup.server.faults = faults
        do {
            _ = try await setup.pull()
            Issue.record("pulled without a token")
        } catch let error as HubError {
            #expect(error == .unauthorized(repo: Self.repoID, status: 401, hadToken: false, tokenFile: setup.root.appendingPathComponent("token").path))
            #expect(error.description.contains("HF_TOKEN"))
        }
        let outcome = try await setup.pull(token: "hf_secret")
        #expect(outcome.fetched.count == setup.served.files.count)
    }

    @Test func notFoundNamesRepoAndRevision() async throws {
        let setup = try Setup()
        defer { setup.done() }
        await #expect(throws: HubError.notFound(repo: "loom-test/absent", revision: "main", file: nil)) {
            try await setup.pull("loom-test/absent")
        }
        do {
            _ = try await setup.pull(Self.repoID + "@v9")
        } catch let error as HubError {
            #expect(error == .notFound(repo: Self.repoID, revision: "v9", file: nil))
            #expect(error.description.contains(Self.repoID) && error.description.contains("v9"))
        }
    }

    /// Answers that are not the Hub's shape, and file names that would escape the snapshot, are refused
    /// with what was wrong, and nothing lands outside the cache.
    @Test func refusesWhatIsNotAHub() async throws {
        let setup = try Setup()
        defer { setup.done() }
        var faults = HubTestServer.Faults()
        faults.garbageRevision = true
        setup.server.faults = faults
        do {
            _ = try await setup.pull()
            Issue.record("accepted a revision that is not JSON")
        } catch let error as HubError {
            #expect(error.description.contains("not a Hub revision") && error.description.contains("HF_ENDPOINT"), "\(error)")
        }
        faults = HubTestServer.Faults()
        faults.noCommitHeader = true
        setup.server.faults = faults
        do {
            _ = try await setup.pull()
            Issue.record("accepted a file without X-Repo-Commit")
        } catch let error as HubError {
            #expect(error.description.contains("X-Repo-Commit"), "\(error)")
        }
        setup.server.faults = HubTestServer.Faults()
        for name in ["../escape.txt", "/etc/escape.txt", "a/../../escape.txt"] {
            setup.server.add(HubTestServer.Repo(id: "loom-test/evil", commit: String(repeating: "e", count: 40),
                                                files: ["config.json": Data("{}".utf8), name: Data("x".utf8)]))
            do {
                _ = try await setup.pull("loom-test/evil")
                Issue.record("accepted the file name \(name)")
            } catch let error as HubError {
                #expect(error.description.contains(name) && error.description.contains("not a path inside"), "\(error)")
            }
        }
        let outside = try FileManager.default.contentsOfDirectory(atPath: setup.root.path)
        #expect(outside == ["hub"] || outside.isEmpty, "\(outside)")
    }

    /// A renamed repo answers with a relative redirect, which is followed.
    @Test func followsRelativeRedirects() async throws {
        let setup = try Setup(renamed: ["loom-test/old-name": Self.repoID])
        defer { setup.done() }
        let outcome = try await setup.pull("loom-test/old-name")
        #expect(outcome.fetched.count == setup.served.files.count)
        #expect(setup.server.requests.contains { $0.hasPrefix("GET /api/models/loom-test/old-name/") })
    }

    @Test func offlineUsesTheCacheOnly() async throws {
        let setup = try Setup()
        defer { setup.done() }
        let repo = HubRepo(id: Self.repoID)
        await #expect(throws: HubError.offlineNotCached(repo: Self.repoID, revision: "main", cache: setup.root.appendingPathComponent("hub").path)) {
            try await HubDownloader(environment: setup.environment(offline: true)).pull(repo)
        }
        let online = try await setup.pull()
        setup.server.clearRequests()
        let offline = try await HubDownloader(environment: setup.environment(offline: true)).pull(repo)
        #expect(offline.snapshot == online.snapshot && setup.server.requests.isEmpty)
    }

    /// Refused and silent endpoints are `unreachable` (how long that takes is HubCommandTests' to check,
    /// in a process of its own: here other suites' blocking tests share the cooperative threads).
    @Test func noNetworkIsUnreachable() async throws {
        let setup = try Setup()
        defer { setup.done() }
        let closedPort = "http://127.0.0.1:9"   // discard: nothing listens there
        do {
            _ = try await HubDownloader(environment: setup.environment(endpoint: closedPort)).pull(HubRepo(id: Self.repoID))
            Issue.record("pulled from a closed port")
        } catch let error as HubError {
            guard case .unreachable(let endpoint, _) = error else { Issue.record("\(error)"); return }
            #expect(endpoint == closedPort)
        }
        var faults = HubTestServer.Faults()
        faults.silent = true
        setup.server.faults = faults
        do {
            _ = try await setup.pull()
            Issue.record("pulled from a server that never answers")
        } catch let error as HubError {
            guard case .unreachable(_, let detail) = error else { Issue.record("\(error)"); return }
            #expect(detail.contains("10 s"), "\(detail)")
        }
    }

    /// `--model ORG/NAME[@REV]` finds the snapshot; a catalog Hub entry is installed once its files are.
    @Test func locatorAndStoreUseTheCache() async throws {
        let setup = try Setup()
        defer { setup.done() }
        let store = ModelStore(home: setup.root.appendingPathComponent("loom"), hub: setup.environment(),
                               hubFetcher: HubDownloader(environment: setup.environment()))
        let locator = ModelLocator(store: store)
        #expect(throws: HubError.notCached(repo: Self.repoID, revision: "main", cache: setup.root.appendingPathComponent("hub").path)) {
            try locator.locate(Self.repoID)
        }
        let model = CatalogModel(name: "tiny-clip", summary: "", format: .safetensors, license: "",
                                 hub: HubSource(Self.repoID, include: ["*.json", "model.safetensors"]))
        #expect(!store.isInstalled(model))
        _ = try await setup.pull(include: ["config.json"])
        #expect(!store.isInstalled(model), "one of the included files is still missing")
        let outcome = try await setup.pull()
        #expect(store.isInstalled(model))
        #expect(try store.path(of: model) == outcome.snapshot)
        #expect(try locator.locate(Self.repoID).url == outcome.snapshot)
        #expect(try locator.locate("hf:\(Self.repoID)@\(setup.served.commit)").url == outcome.snapshot)
        #expect(throws: HubError.self) { try locator.locate("\(Self.repoID)@v1") }   // never fetched at that tag

        // A catalog entry naming a file the repo lacks fails its pull naming that file and revision.
        // (ModelStore.pull blocks its thread until the download ends, so it runs on a thread of its own.)
        let stale = CatalogModel(name: "stale", summary: "", format: .safetensors, license: "",
                                 hub: HubSource(Self.repoID, include: ["config.json", "tokenizer.json"]))
        let failure: (any Error)? = await withCheckedContinuation { done in
            Thread { done.resume(returning: Result { try store.pull(stale) }.failure) }.start()
        }
        #expect(failure as? HubError == .notFound(repo: Self.repoID, revision: "main", file: "tokenizer.json"), "\(String(describing: failure))")

        // A store without a Hub client reads the cache only, and says how to fetch what is not there.
        let cacheOnly = ModelStore(home: store.home, hub: setup.environment())
        #expect(throws: ModelStoreError.noHubClient("stale")) { try cacheOnly.pull(stale) }
        #expect(try cacheOnly.pull(model) == .alreadyInstalled(outcome.snapshot))

        // A GGUF repo (one .gguf, no config.json) resolves to the file, as loaders take it.
        let gguf = HubTestServer.Repo(id: "loom-test/tiny-gguf", commit: String(repeating: "9", count: 40),
                                      files: ["model-q8_0.gguf": Data("GGUF".utf8), "README.md": Data("# tiny\n".utf8)])
        setup.server.add(gguf)
        let pulled = try await setup.pull(gguf.id)
        #expect(try locator.locate(gguf.id).url == pulled.snapshot.appendingPathComponent("model-q8_0.gguf"))
    }
}

private extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
