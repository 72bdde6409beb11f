import Foundation
import LoomTestSupport
import Testing

/// `loom generate` on the real SmolLM2-135M-Instruct (pulled by `make test`).
@Suite(.serialized) struct GenerateCommandTests {
    @Test func chatAnswersWithParis() throws {
        guard InstalledModels.file("smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf") != nil else { return }
        let result = try CLIRunner.run(["generate", "What is the capital of France?", "--max-tokens", "40", "--stats"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Paris"))
        #expect(result.stderr.contains("decode") && result.stderr.contains("tokens/s"))
    }

    /// Greedy completion equals transformers' greedy ids on the same GGUF (Tests/Fixtures/llama, dump_llama.py).
    @Test func rawGreedyCompletionMatchesTheReference() throws {
        guard InstalledModels.file("smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf") != nil else { return }
        let result = try CLIRunner.run(["generate", "--no-chat", "The capital of France is", "--max-tokens", "16"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == " Paris.\n\nThe answer is: 2018-01\n")
    }

    @Test func stopStringsEndTheOutput() throws {
        guard InstalledModels.file("smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf") != nil else { return }
        let result = try CLIRunner.run(["generate", "--no-chat", "The capital of France is", "--max-tokens", "16", "--stop", "answer"])
        #expect(result.stdout == " Paris.\n\nThe \n")
    }

    @Test func badOptionsAndModels() throws {
        let tokens = try CLIRunner.run(["generate", "hi", "--max-tokens", "0"])
        #expect(tokens.status != 0 && tokens.stderr.contains("--max-tokens must be at least 1"))
        let topP = try CLIRunner.run(["generate", "hi", "--top-p", "0"])
        #expect(topP.status != 0 && topP.stderr.lowercased().contains("top"))
        let notLlama = try CLIRunner.run(["generate", "hi", "--model", Fixtures.url("bert/tiny-random").path])
        #expect(notLlama.status != 0 && notLlama.stderr.contains("bert/tiny-random"))
    }
}
