import Foundation

// CLIP's config.json, as transformers' CLIPConfig / CLIPTextConfig / CLIPVisionConfig
// (transformers/models/clip/configuration_clip.py). Absent fields take the class defaults, which
// describe openai/clip-vit-base-patch32 (ViT-B/32).

/// `text_config` of a CLIP config.
public struct CLIPTextConfig: Codable, Sendable, Equatable {
    /// 49408
    public var vocabSize = 49408
    /// 512
    public var hiddenSize = 512
    /// 2048
    public var intermediateSize = 2048
    /// 12
    public var numHiddenLayers = 12
    /// 8
    public var numAttentionHeads = 8
    /// 77
    public var maxPositionEmbeddings = 77
    /// "quick_gelu"
    public var hiddenAct = HiddenActivation.quickGELU
    /// 1e-5
    public var layerNormEps: Float = 1e-5
    /// 49407. Configs from before transformers PR #24773 say 2: those pool at the argmax of the ids.
    public var eosTokenId = 49407

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", eosTokenId = "eos_token_id"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        hiddenAct = try c.decodeIfPresent(HiddenActivation.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId) ?? eosTokenId
    }

    var encoderShape: EncoderShape {
        EncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize, layers: numHiddenLayers,
            heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }
}

/// `vision_config` of a CLIP config.
public struct CLIPVisionConfig: Codable, Sendable, Equatable {
    /// 768
    public var hiddenSize = 768
    /// 3072
    public var intermediateSize = 3072
    /// 12
    public var numHiddenLayers = 12
    /// 12
    public var numAttentionHeads = 12
    /// 3
    public var numChannels = 3
    /// 224
    public var imageSize = 224
    /// 32
    public var patchSize = 32
    /// "quick_gelu"
    public var hiddenAct = HiddenActivation.quickGELU
    /// 1e-5
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? numChannels
        imageSize = try c.decodeSide(.imageSize) ?? imageSize
        patchSize = try c.decodeSide(.patchSize) ?? patchSize
        hiddenAct = try c.decodeIfPresent(HiddenActivation.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
    }

    var encoderShape: EncoderShape {
        EncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize, layers: numHiddenLayers,
            heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }

    /// Patches per image: (image_size / patch_size)^2.
    public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }
}

/// A CLIP config.json (`model_type` "clip").
public struct CLIPConfig: Codable, Sendable, Equatable, ValidatedConfig {
    /// "clip"
    public var modelType = "clip"
    public var textConfig = CLIPTextConfig()
    public var visionConfig = CLIPVisionConfig()
    /// 512: the width of the shared embedding space (visual_projection / text_projection outputs).
    public var projectionDim = 512
    /// 2.6592 (ln(1 / 0.07)); the checkpoint's `logit_scale` tensor is what scores use.
    public var logitScaleInitValue: Float = 2.6592

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", textConfig = "text_config", visionConfig = "vision_config"
        case projectionDim = "projection_dim", logitScaleInitValue = "logit_scale_init_value"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        textConfig = try c.decodeIfPresent(CLIPTextConfig.self, forKey: .textConfig) ?? textConfig
        visionConfig = try c.decodeIfPresent(CLIPVisionConfig.self, forKey: .visionConfig) ?? visionConfig
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? logitScaleInitValue
    }

    /// Throws `.invalidConfig` (file left empty for the caller to fill) for sizes the model cannot run.
    func validate() throws {
        guard modelType == "clip" else { throw EncoderError.wrongModelType(file: "", found: modelType, expected: ["clip"]) }
        try LoomModels.validate(textConfig.encoderShape, section: "text_config")
        try LoomModels.validate(visionConfig.encoderShape, section: "vision_config")
        let v = visionConfig, t = textConfig
        if projectionDim <= 0 { throw EncoderError.invalidConfig(file: "", field: "projection_dim", reason: "must be positive") }
        if t.vocabSize <= 0 || t.maxPositionEmbeddings <= 0 {
            throw EncoderError.invalidConfig(file: "", field: "text_config.vocab_size", reason: "and max_position_embeddings must be positive")
        }
        if v.numChannels <= 0 || v.patchSize <= 0 || v.imageSize < v.patchSize || v.imageSize % v.patchSize != 0 {
            throw EncoderError.invalidConfig(
                file: "", field: "vision_config.image_size",
                reason: "(\(v.imageSize)) must be a positive multiple of patch_size (\(v.patchSize))")
        }
    }
}
