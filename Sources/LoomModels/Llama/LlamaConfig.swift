import Foundation

/// The hyperparameters of a Llama-family decoder (Llama 2/3, SmolLM2, TinyLlama, ...).
///
/// Decodes a Hugging Face `config.json` (`model_type` "llama"; keys in snake_case as written by
/// transformers' `LlamaConfig`), or is read from GGUF metadata (`LlamaConfig(gguf:)`). Absent keys
/// take transformers' `LlamaConfig` defaults (transformers/models/llama/configuration_llama.py):
/// vocab_size 32000, hidden_size 4096, intermediate_size 11008, num_hidden_layers 32,
/// num_attention_heads 32, num_key_value_heads = num_attention_heads, head_dim = hidden_size /
/// num_attention_heads, max_position_embeddings 2048, rms_norm_eps 1e-6, rope_theta 10000,
/// no rope scaling, tie_word_embeddings false.
public struct LlamaConfig: Codable, Sendable, Equatable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var maxPositionEmbeddings: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var ropeScaling: LlamaRopeScaling?
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        /// transformers 5 writes rope_theta and the scaling together as `rope_parameters`.
        case ropeParameters = "rope_parameters"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int? = nil, headDim: Int? = nil,
                maxPositionEmbeddings: Int = 2048, rmsNormEps: Float = 1e-6, ropeTheta: Double = 10000,
                ropeScaling: LlamaRopeScaling? = nil, tieWordEmbeddings: Bool = false) {
        modelType = "llama"
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads ?? numAttentionHeads
        self.headDim = headDim ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let heads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 32
        let hidden = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 4096
        let parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        // A scaling of type "default" (or none) means plain rotary frequencies.
        var scaling: LlamaRopeScaling? = nil
        if let kind = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling)?.kind, kind != "default" {
            scaling = try c.decode(LlamaRopeScaling.self, forKey: .ropeScaling)
        } else if let kind = parameters?.kind, kind != "default" {
            scaling = try c.decode(LlamaRopeScaling.self, forKey: .ropeParameters)
        }
        self.init(
            vocabSize: try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 32000,
            hiddenSize: hidden,
            intermediateSize: try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 11008,
            numHiddenLayers: try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 32,
            numAttentionHeads: heads,
            numKeyValueHeads: try c.decodeIfPresent(Int?.self, forKey: .numKeyValueHeads) ?? nil,
            headDim: try c.decodeIfPresent(Int?.self, forKey: .headDim) ?? nil,
            maxPositionEmbeddings: try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048,
            rmsNormEps: try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6,
            ropeTheta: try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? parameters?.ropeTheta ?? 10000,
            ropeScaling: scaling,
            tieWordEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encodeIfPresent(ropeScaling, forKey: .ropeScaling)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
    }

    /// Reads `config.json`; throws `LlamaError` naming the file for other model types or bad values.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LlamaError(file: url.path, .notAModel)
        }
        try self.init(json: data, file: url.path)
    }

    /// Decodes config.json's bytes; `file` names it in errors.
    public init(json data: Data, file: String) throws {
        do {
            self = try JSONDecoder().decode(LlamaConfig.self, from: data)
        } catch let error as LlamaError {
            throw LlamaError(file: file, error.kind)
        } catch {
            throw LlamaError(file: file, .invalidConfig("\(error)"))
        }
        guard modelType == "llama" else { throw LlamaError(file: file, .wrongArchitecture(found: modelType)) }
        try validate(file: file)
    }

    /// Checks the values a forward pass relies on.
    public func validate(file: String) throws {
        func fail(_ message: String) -> LlamaError { LlamaError(file: file, .invalidConfig(message)) }
        for (name, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                              ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
                              ("num_key_value_heads", numKeyValueHeads), ("head_dim", headDim),
                              ("max_position_embeddings", maxPositionEmbeddings)] where value <= 0 {
            throw fail("\(name) is \(value), must be positive")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw fail("num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(numKeyValueHeads)")
        }
        guard headDim % 2 == 0 else { throw fail("head_dim \(headDim) must be even for rotary embeddings") }
        guard rmsNormEps >= 0, rmsNormEps.isFinite else { throw fail("rms_norm_eps is \(rmsNormEps)") }
        guard ropeTheta > 0, ropeTheta.isFinite else { throw fail("rope_theta is \(ropeTheta)") }
        if let ropeScaling { try ropeScaling.validate(file: file) }
    }
}

/// The part of transformers 5's `rope_parameters` that is not the scaling itself.
private struct RopeParameters: Decodable {
    var ropeTheta: Double?
    var ropeType: String?
    var type: String?
    var kind: String? { ropeType ?? type }
    enum CodingKeys: String, CodingKey {
        case ropeTheta = "rope_theta"
        case ropeType = "rope_type"
        case type
    }
}
