import Foundation
import LoomModelStore
import LoomHubTestSupport
import LoomTestSupport
import Testing

/// Loom and the real huggingface_hub client (Scripts/hub-venv, Scripts/hub_interop.py) share one cache,
/// both pointed at HubTestServer: what Python downloads Loom uses offline without a request, and what
/// Loom pulls Python finds with local_files_only, byte for byte.
@Suite struct HubInteropTests {
    /// The venv's python: LOOM_HUB_PYTHON, else .venv-hub; nil (skip, or a failure under
    /// LOOM_REQUIRE_MODELS=1, as `make test` sets) when neither is there.
    static func python() -> String? {
        let env = ProcessInfo.processInfo.environment
        let path = env["LOOM_HUB_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Fixtures.repositoryRoot.appendingPathComponent(".venv-hub/bin/python").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        if InstalledModels.required {
            Issue.record("no huggingface_hub venv at \(path); run Scripts/hub-venv")
        } else {
            print("skipping: no huggingface_hub venv at \(path) (Scripts/hub-venv makes it)")
        }
        return nil
    }

    static func runPython(_ python: String, _ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("Scripts/hub_interop.py").path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                String(decoding: errors, as: UTF8.self))
    }

    struct Setup {
        let server: HubTestServer
        let smolvlm: HubTestServer.Repo
        let clip: HubTestServer.Repo
        let root: URL

        init() throws {
            smolvlm = try HubTestServer.Repo(id: "loom-test/tiny-smolvlm", folder: Fixtures.url("idefics3/model"))
            clip = try HubTestServer.Repo(id: "loom-test/tiny-clip", folder: Fixtures.url("clip/tiny-random"))
            server = try HubTestServer(repos: [smolvlm, clip])
            root = try Fixtures.temporaryDirectory("loom-hubinterop")
        }

        var environment: [String: String] {
            ["HF_ENDPOINT": server.endpoint, "HF_HUB_CACHE": root.appendingPathComponent("hub").path,
             "HF_HOME": root.appendingPathComponent("hf").path, "LOOM_HOME": root.appendingPathComponent("loom").path,
             "HF_HUB_DISABLE_TELEMETRY": "1", "HF_TOKEN": "", "HF_HUB_OFFLINE": ""]
        }

        func done() {
            server.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    @Test func loomUsesWhatHuggingfaceHubDownloaded() throws {
        guard let python = Self.python() else { return }
        let setup = try Setup()
        defer { setup.done() }
        let download = try Self.runPython(python, ["download", setup.smolvlm.id], environment: setup.environment)
        #expect(download.status == 0, "\(download.errors) \(download.output)")
        let snapshot = URL(fileURLWithPath: download.output)
        for (path, data) in setup.smolvlm.files {
            #expect(try Data(contentsOf: snapshot.appendingPathComponent(path)) == data, "\(path)")
        }
        setup.server.clearRequests()
        let caption = try CLIRunner.run(
            ["caption", Fixtures.sample("images/hopper.jpg").path, "--model", setup.smolvlm.id, "--max-tokens", "4", "--format", "jsonl"],
            environment: setup.environment.merging(["HF_HUB_OFFLINE": "1"]) { _, new in new })
        #expect(caption.status == 0, "\(caption.stderr)")
        #expect(caption.stdout.contains("\"caption\""), "\(caption.stdout)")
        #expect(setup.server.requests.isEmpty, "\(setup.server.requests)")
    }

    @Test func huggingfaceHubFindsWhatLoomPulled() throws {
        guard let python = Self.python() else { return }
        let setup = try Setup()
        defer { setup.done() }
        let pull = try CLIRunner.run(["models", "pull", "hf:\(setup.clip.id)"], environment: setup.environment)
        #expect(pull.status == 0, "\(pull.stderr)")
        setup.server.clearRequests()
        let find = try Self.runPython(python, ["find", setup.clip.id], environment: setup.environment)
        #expect(find.status == 0, "\(find.errors)")
        let snapshot = HubCache(root: setup.root.appendingPathComponent("hub")).snapshot(HubRepo(id: setup.clip.id), commit: setup.clip.commit)
        #expect(find.output == snapshot.path)
        for (path, data) in setup.clip.files {
            #expect(try Data(contentsOf: URL(fileURLWithPath: find.output).appendingPathComponent(path)) == data, "\(path)")
        }
        #expect(setup.server.requests.isEmpty, "\(setup.server.requests)")
        // Online, huggingface_hub sees every file as already cached: no file bytes are fetched again.
        let again = try Self.runPython(python, ["download", setup.clip.id], environment: setup.environment)
        #expect(again.status == 0 && again.output == snapshot.path, "\(again.errors)")
        #expect(!setup.server.requests.contains { $0.hasPrefix("GET /lfs") || ($0.hasPrefix("GET") && $0.contains("/resolve/")) },
                "\(setup.server.requests)")
    }
}
