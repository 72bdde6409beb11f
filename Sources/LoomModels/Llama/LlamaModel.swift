import Foundation
import LoomTensor
import LoomWeights

/// A loaded Llama-family decoder (Llama 2/3, SmolLM2, TinyLlama): immutable weights, shareable
/// by any number of `LlamaSession`s on any threads.
///
/// Follows transformers' `LlamaForCausalLM` (transformers/models/llama/modeling_llama.py) and
/// llama.cpp's `llm_build_llama` (src/llama-model.cpp): RMSNorm, rotary attention with grouped
/// query heads, SwiGLU MLP, final RMSNorm and the output head (tied to the embedding or not).
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    /// Which rotary pairing this file's q/k weights need (see `LlamaRopePairing`).
    public let ropePairing: LlamaRopePairing
    /// The file or folder the weights came from.
    public let path: String
    let weights: LlamaWeights
    /// Inverse rotary frequencies, one per rotated pair (headDim / 2), scaling applied.
    let inverseFrequencies: [Float]

    init(config: LlamaConfig, weights: LlamaWeights, ropePairing: LlamaRopePairing, path: String) {
        self.config = config
        self.weights = weights
        self.ropePairing = ropePairing
        self.path = path
        // theta^(-2i/d) as transformers' `_compute_default_rope_parameters` (computed in double,
        // rounded once), scaled per config; GGUF frequency factors divide the frequency as ggml's
        // rope with `freq_factors` does.
        let half = config.headDim / 2
        var frequencies = (0..<half).map { 1 / pow(config.ropeTheta, Double(2 * $0) / Double(config.headDim)) }
        if let scaling = config.ropeScaling { frequencies = scaling.scale(frequencies) }
        if let factors = weights.ropeFrequencyFactors {
            for i in 0..<half { frequencies[i] /= Double(factors[i]) }
        }
        inverseFrequencies = frequencies.map { Float($0) }
    }

    /// Loads a `.gguf` file (llama architecture), a folder holding one, or a Hugging Face folder
    /// (config.json plus model.safetensors or a sharded index): whatever `ModelRegistry` finds there.
    public convenience init(url: URL) throws {
        try self.init(ModelRegistry.describe(url, as: .llama))
    }

    /// Loads a Llama model the registry described; GGUF weights stay memory-mapped in their blocks.
    public convenience init(_ model: ModelDescription) throws {
        let model = try model.requiring(.llama)
        let (config, names): (LlamaConfig, LlamaWeightNames)
        switch model.contents {
        case .gguf(let file): (config, names) = (try LlamaConfig(gguf: file), .gguf)
        case .configJSON(let json): (config, names) = (try LlamaConfig(json: json, file: model.keyFile.path), .huggingFace)
        default: throw model.unexpectedFormat()
        }
        let weights = try LlamaWeights.load(try model.weights(), names: names, config: config)
        self.init(config: config, weights: weights, ropePairing: names.ropePairing, path: model.url.path)
    }

    /// Per-run state (KV cache for up to `maxTokens` positions, scratch) over these weights.
    /// `maxTokens` defaults to the model's context length, at most 4096.
    public func makeSession(maxTokens: Int? = nil) -> LlamaSession {
        LlamaSession(model: self, capacity: max(1, min(maxTokens ?? 4096, config.maxPositionEmbeddings)))
    }

    /// Token embeddings (T, hidden) for `ids`: the rows `LlamaSession.forward(tokens:)` starts from (image
    /// or audio rows go through `MultimodalPrompt` instead). Throws for ids outside the vocabulary.
    public func embed(_ ids: [Int]) throws -> Tensor {
        try checkTokens(ids)
        var out = Tensor(zeros: [ids.count, config.hiddenSize])
        out.data.withUnsafeMutableBufferPointer { p in
            for (t, id) in ids.enumerated() { weights.embedding.dequantizeRow(id, into: p.baseAddress! + t * config.hiddenSize) }
        }
        return out
    }

    func checkTokens(_ ids: [Int]) throws {
        if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw LlamaInputError("token id \(bad) is outside the vocabulary of \(config.vocabSize) tokens of \(path)")
        }
    }
}
