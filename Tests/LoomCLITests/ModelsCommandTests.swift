import Foundation
import LoomTestSupport
import Testing

@Suite struct ModelsCommandTests {
    @Test func listShowsTheCatalogAndTheFolder() throws {
        let home = try Fixtures.temporaryDirectory("loom-cli-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try CLIRunner.run(["models", "list"], environment: ["LOOM_HOME": home.path])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["whisper-base", "whisper-tiny.en", "smollm2-135m-instruct", "minilm-l6-v2", "silero-vad"] {
            #expect(result.stdout.contains(name))
        }
        #expect(result.stdout.contains(home.appendingPathComponent("models").path))
    }

    @Test func pathOfAMissingModelSaysHowToFetchIt() throws {
        let home = try Fixtures.temporaryDirectory("loom-cli-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try CLIRunner.run(["models", "path", "whisper-base"], environment: ["LOOM_HOME": home.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("loom models pull whisper-base"))
    }

    @Test func unknownNamesAreRefusedBeforeAnyDownload() throws {
        let home = try Fixtures.temporaryDirectory("loom-cli-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try CLIRunner.run(["models", "pull", "whisper-huge"], environment: ["LOOM_HOME": home.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown model 'whisper-huge'"))
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("downloads").path))
    }

    /// The real pull (`make test` runs `loom models pull` first): path answers with the installed folder.
    @Test func pathOfAnInstalledModel() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil else { return }
        let result = try CLIRunner.run(["models", "path", "whisper-tiny.en"])
        #expect(result.status == 0)
        let path = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: path + "/model.bin"))
    }
}
