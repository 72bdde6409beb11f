import ArgumentParser
import Foundation
import LoomGeneration
import LoomModelStore
import LoomTasks

/// `loom generate`: text from a Llama-family language model, streamed as it is produced.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with a language model (GGUF file or Hugging Face folder).")

    @Argument(help: "The prompt.")
    var prompt: String

    @Option(help: "A catalog name (loom models list), a .gguf file or a model folder.")
    var model = "smollm2-135m-instruct"

    @Flag(inversion: .prefixedNo, help: "Wrap the prompt in the model's chat template (from its metadata).")
    var chat = true

    @Option(help: "System message (with --chat).")
    var system: String?

    @Option(help: "Stop after this many new tokens.")
    var maxTokens = 256

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(help: "Keep only the k most likely tokens (0: off).")
    var topK = 0

    @Option(help: "Keep the smallest set of tokens whose probability reaches p (1: off).")
    var topP: Float = 1

    @Option(help: "Drop tokens less likely than min-p times the most likely one (0: off).")
    var minP: Float = 0

    @Option(help: "Penalty for tokens already in the text (1: off).")
    var repeatPenalty: Float = 1

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Option(name: .customLong("stop"), help: "Stop when this text appears (repeatable).")
    var stopStrings: [String] = []

    @Flag(help: "Print load time, prompt and decode speed to stderr.")
    var stats = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        // The sampler checks these too; checking here reports them before the model loads.
        do {
            _ = try Sampler(SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                            repetitionPenalty: repeatPenalty, seed: seed))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        compute.apply()
        let location = try ModelLocator().locate(model)
        let loadStart = Date()
        let generation = try Loom.models.textGeneration(at: location.url)
        let loadSeconds = Date().timeIntervalSince(loadStart)

        let tokens = try generation.promptTokens(prompt, system: system, chat: chat)
        let sampling = SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                       repetitionPenalty: repeatPenalty, seed: seed)
        let stop = StopRules(maxTokens: maxTokens, eosTokenIDs: generation.endOfGenerationTokens, stopStrings: stopStrings)
        let result = try generation.generate(prompt: tokens, sampling: sampling, stop: stop) { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
        if stats {
            let s = result.stats
            printErr(String(format: "load %.2f s | prompt %d tokens, %.1f tokens/s | decode %d tokens, %.1f tokens/s | first token after %.3f s | stop: %@",
                            loadSeconds, s.promptTokens, s.promptTokensPerSecond, s.generatedTokens,
                            s.decodeTokensPerSecond, s.timeToFirstToken, "\(result.finishReason)"))
        }
    }
}
