import Foundation
import LoomHubTestSupport
import LoomTestSupport
import Testing

/// Benchmarks/pull: one large LFS file on loopback (HubTestServer), pulled by `loom models pull` and by
/// huggingface_hub's own downloader (`hf_hub_download`) into fresh caches, alternately, several times;
/// prints the median rates and their ratio. Runs only with LOOM_BENCH_PULL=1 (Benchmarks/pull/run sets it).
@Suite(.serialized) struct PullBenchmark {
    @Test func pullRateAgainstHuggingfaceHub() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["LOOM_BENCH_PULL"] == "1" else {
            print("skipping: the pull benchmark runs from Benchmarks/pull/run (LOOM_BENCH_PULL=1)")
            return
        }
        guard let python = HubInteropTests.python() else { return }
        let megabytes = Int(env["LOOM_BENCH_PULL_MB"] ?? "") ?? 200
        let repeats = Int(env["LOOM_BENCH_PULL_REPEAT"] ?? "") ?? 3
        // Incompressible bytes from a seeded xorshift (fast; SystemRandomNumberGenerator is slow at 200 MB).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var words = [UInt64](repeating: 0, count: megabytes * 1_000_000 / 8)
        for i in words.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            words[i] = state
        }
        let data = words.withUnsafeBytes { Data($0) }
        let repo = HubTestServer.Repo(id: "bench/large", commit: String(repeating: "5", count: 40), files: ["weights.bin": data])
        let server = try HubTestServer(repos: [repo])
        defer { server.stop() }
        let root = try Fixtures.temporaryDirectory("loom-bench-pull")
        defer { try? FileManager.default.removeItem(at: root) }

        var loomSeconds: [Double] = [], hubSeconds: [Double] = []
        for run in 0..<repeats {
            let loomCache = root.appendingPathComponent("loom-\(run)"), hubCache = root.appendingPathComponent("hub-\(run)")
            let environment = ["HF_ENDPOINT": server.endpoint, "HF_HOME": root.appendingPathComponent("hf").path,
                               "HF_HUB_DISABLE_TELEMETRY": "1", "HF_TOKEN": "", "HF_HUB_OFFLINE": "", "HF_HUB_DISABLE_PROGRESS_BARS": "1"]
            let start = ContinuousClock.now
            let pull = try CLIRunner.run(["models", "pull", "hf:bench/large"],
                                         environment: environment.merging(["HF_HUB_CACHE": loomCache.path]) { _, new in new })
            let elapsed = ContinuousClock.now - start
            try #require(pull.status == 0, "\(pull.stderr)")
            loomSeconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            let fetch = try HubInteropTests.runPython(python, ["fetch", "bench/large", "weights.bin"],
                                                      environment: environment.merging(["HF_HUB_CACHE": hubCache.path]) { _, new in new })
            try #require(fetch.status == 0, "\(fetch.errors)")
            let parts = fetch.output.split(separator: " ", maxSplits: 1)
            hubSeconds.append(Double(parts[0])!)
            let hubFile = URL(fileURLWithPath: String(parts[1])).resolvingSymlinksInPath().path   // the blob, not the link
            #expect((try FileManager.default.attributesOfItem(atPath: hubFile)[.size] as? Int) == data.count)
            try? FileManager.default.removeItem(at: loomCache)
            try? FileManager.default.removeItem(at: hubCache)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let mb = Double(data.count) / 1e6
        let loomRate = mb / median(loomSeconds), hubRate = mb / median(hubSeconds)
        print(String(format: "pull %.0f MB over loopback, median of %d: loom %.1f MB/s (%.2f s, whole process), "
                     + "huggingface_hub %.1f MB/s (%.2f s, hf_hub_download only)", mb, repeats, loomRate, median(loomSeconds),
                     hubRate, median(hubSeconds)))
        print(String(format: "loom pulls at %.2fx the rate of huggingface_hub (target >= 0.8x)", loomRate / hubRate))
    }
}
