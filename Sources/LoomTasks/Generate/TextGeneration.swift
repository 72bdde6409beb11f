import Foundation
import LoomGeneration
import LoomModels
import LoomTensor
import LoomTokenizers

/// A Llama-family model with its tokenizer, ready to complete prompts or chat: `loom generate`.
/// The tokenizer comes from the GGUF metadata, or tokenizer.json beside a Hugging Face checkpoint.
///
/// Immutable, so any number of threads generate with one instance at the same time: each call makes
/// its own `LlamaSession` (KV cache and scratch) over the shared weights.
public final class TextGeneration: Sendable {
    public let model: LlamaModel
    public let tokenizer: Tokenizer

    /// A .gguf file, a folder holding one, or a Hugging Face folder (see `ModelRegistry`).
    public convenience init(url: URL) throws {
        try self.init(ModelRegistry.describe(url, as: .llama))
    }

    public init(_ description: ModelDescription) throws {
        model = try LlamaModel(description)
        tokenizer = try description.ggufFile.map { try Tokenizer.load(gguf: $0) }
            ?? Tokenizer.load(tokenizerJSON: description.folder.appendingPathComponent("tokenizer.json"))
    }

    /// The prompt's token ids: the chat template applied (from the model's own metadata) when
    /// `chat`, else the text as given (with BOS where the tokenizer asks for it).
    public func promptTokens(_ prompt: String, system: String?, chat: Bool) throws -> [Int] {
        guard chat else { return tokenizer.encode(prompt, addSpecialTokens: true) }
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: "system", content: system)) }
        messages.append(ChatMessage(role: "user", content: prompt))
        return try promptTokens(messages)
    }

    /// A whole conversation's token ids, the model's chat template applied with the assistant's
    /// turn opened: what a chat server sends for a list of messages.
    public func promptTokens(_ messages: [ChatMessage]) throws -> [Int] {
        let text = try tokenizer.renderChat(messages, addGenerationPrompt: true)
        return tokenizer.encode(text, addSpecialTokens: false)
    }

    /// Tokens that end a turn: the tokenizer's EOS plus the end-of-turn markers chat vocabularies
    /// carry as special tokens (ChatML's <|im_end|>, Llama 3's <|eot_id|>), as llama.cpp's
    /// end-of-generation set does.
    public var endOfGenerationTokens: Set<Int> {
        var ids = Set([tokenizer.eosTokenID].compactMap { $0 })
        for marker in ["<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<|endoftext|>", "<end_of_turn>"] {
            if let id = tokenizer.id(for: marker), tokenizer.isSpecial(id) { ids.insert(id) }
        }
        return ids
    }

    /// Generates from `prompt` ids, streaming text pieces to `onText`. An error `onText` throws stops
    /// the generation and is thrown from here; called from a task, a cancelled task stops it before
    /// the next token (`CancellationError`).
    public func generate(
        prompt: [Int], sampling: SamplingOptions, stop: StopRules, onText: (String) throws -> Void
    ) throws -> GenerationResult {
        try run(prompt: prompt, sampling: sampling, stop: stop, onText: onText)
    }

    /// `generate(prompt:sampling:stop:onText:)` for async callers. It runs on the calling task's
    /// executor until done (CPU work: a server that serves many requests gives these tasks an
    /// executor of their own, `withTaskExecutorPreference`); cancelling the task stops it before the
    /// next token.
    public func generate(
        prompt: [Int], sampling: SamplingOptions, stop: StopRules, onText: @Sendable (String) throws -> Void
    ) async throws -> GenerationResult {
        try run(prompt: prompt, sampling: sampling, stop: stop, onText: onText)
    }

    private func run(
        prompt: [Int], sampling: SamplingOptions, stop: StopRules, onText: (String) throws -> Void
    ) throws -> GenerationResult {
        let session = model.makeSession()
        guard prompt.count < session.capacity else {
            throw LlamaInputError("the prompt has \(prompt.count) tokens; this model's context holds \(session.capacity)")
        }
        var rules = stop
        rules.maxTokens = min(stop.maxTokens, session.capacity - prompt.count)
        var generator = Generator(model: LlamaNextToken(session: session), sampler: try Sampler(sampling), stop: rules)
        var detokenizer = StreamingDetokenizer(decoder: StreamingDecoder(tokenizer: tokenizer))
        return try generator.generate(prompt: prompt, detokenizer: &detokenizer) { chunk in
            if !chunk.text.isEmpty { try onText(chunk.text) }
        }
    }
}

/// The Llama session as the generation loop sees it: the prompt in one batched pass, then one token a step.
struct LlamaNextToken: NextTokenLogits {
    let session: LlamaSession

    mutating func logits(appending tokens: [Int]) throws -> [Float] {
        if tokens.count == 1 && session.position > 0 { return try session.decode(tokens[0]) }
        return try session.forward(tokens: tokens).data
    }
}

/// The tokenizer's streaming decoder as an `IncrementalDetokenizer`. Ids come from the model's own
/// vocabulary, so decoding cannot fail; an out-of-range id would show as nothing rather than stop output.
struct StreamingDetokenizer: IncrementalDetokenizer {
    var decoder: StreamingDecoder

    mutating func append(_ token: Int) -> String { (try? decoder.append(token)) ?? "" }
    mutating func finish() -> String { decoder.finish() }
}
