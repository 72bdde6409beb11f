import Foundation
import LoomTestSupport
import Testing

/// `loom serve`'s options: each bad one stops the command before it listens, with a message saying
/// what to give instead.
@Suite("loom serve options")
struct ServeCommandTests {
    @Test("bad options are refused with a clear message", arguments: [
        (["--model", "bogus=x"], "ROLE=NAME|PATH with ROLE one of chat, vision, embeddings, clip, asr"),
        (["--model", "chat"], "ROLE=NAME|PATH"),
        (["--model", "chat=a", "--model", "chat=b"], "names the role chat twice"),
        (["--port", "70000"], "--port must be within 0...65535"),
        (["--max-upload-mb", "0"], "--max-upload-mb must be within 1...4096"),
        (["--max-queue=-1"], "--max-queue must be 0 or more"),
        (["--media-root", "/no/such/folder"], "--media-root /no/such/folder: no such folder"),
        (["--api-key-file", "/no/such/keys"], "/no/such/keys: cannot read the API key file"),
        (["--model", "chat=/no/such/model.gguf"], "/no/such/model.gguf"),
        (["--model", "vision=/no/such/smolvlm"], "/no/such/smolvlm"),
        (["--index", "/no/such/index.sqlite"], "/no/such/index.sqlite"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let result = try CLIRunner.run(["serve", "--port", "0"] + arguments, timeout: 60)
        #expect(!result.timedOut, "loom serve started instead of refusing \(arguments)")
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stdout.contains("listening on"))
    }

    @Test("an empty API key file is refused")
    func emptyKeyFile() throws {
        let folder = try Fixtures.temporaryDirectory("loom-serve-keys")
        defer { try? FileManager.default.removeItem(at: folder) }
        let keys = folder.appendingPathComponent("keys")
        try "\n  \n".write(to: keys, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["serve", "--port", "0", "--api-key-file", keys.path], timeout: 60)
        #expect(result.status != 0 && result.stderr.contains("holds no API key"), "\(result.stderr)")
    }
}
