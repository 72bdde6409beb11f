import LoomGeneration
import LoomModels

/// The Llama session fed a multimodal prompt (text with image or audio rows between): the first call runs
/// the whole prompt (the ids it receives are the same prompt's, kept by the generator for repetition
/// penalties), later calls one new token each.
struct MultimodalPromptNextToken: NextTokenLogits {
    let session: LlamaSession
    let prompt: MultimodalPrompt

    mutating func logits(appending tokens: [Int]) throws -> [Float] {
        if session.position == 0 { return try session.forward(prompt: prompt).data }
        guard tokens.count == 1 else { throw LlamaInputError("expected one new token after the prompt, got \(tokens.count)") }
        return try session.decode(tokens[0])
    }
}
