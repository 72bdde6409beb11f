import Foundation

// CLIP's config.json, as transformers' CLIPConfig / CLIPTextConfig / CLIPVisionConfig
// (transformers/models/clip/configuration_clip.py). Absent fields take the class defaults written
// below, which describe openai/clip-vit-base-patch32 (ViT-B/32). The tower fields are decoded in
// ViT/TowerConfig.swift.

/// `text_config` of a CLIP config.
public struct CLIPTextConfig: TextTowerConfig, Decodable, Sendable, Equatable {
    public var vocabSize = 49408, maxPositionEmbeddings = 77
    public var hiddenSize = 512, intermediateSize = 2048, numHiddenLayers = 12, numAttentionHeads = 8
    public var hiddenAct = HiddenActivation.quickGELU
    public var layerNormEps: Float = 1e-5
    /// 49407. Configs from before transformers PR #24773 say 2: those pool at the argmax of the ids.
    public var eosTokenId = 49407

    enum CodingKeys: String, CodingKey { case eosTokenId = "eos_token_id" }

    public init() {}

    public init(from decoder: any Decoder) throws {
        try decodeTowerFields(from: decoder)
        eosTokenId = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .eosTokenId) ?? eosTokenId
    }
}

/// `vision_config` of a CLIP config.
public struct CLIPVisionConfig: VisionTowerConfig, Decodable, Sendable, Equatable {
    public var hiddenSize = 768, intermediateSize = 3072, numHiddenLayers = 12, numAttentionHeads = 12
    public var numChannels = 3, imageSize = 224, patchSize = 32
    public var hiddenAct = HiddenActivation.quickGELU
    public var layerNormEps: Float = 1e-5

    public init() {}

    public init(from decoder: any Decoder) throws { try decodeTowerFields(from: decoder) }
}

/// A CLIP config.json (`model_type` "clip").
public struct CLIPConfig: Decodable, Sendable, Equatable, ValidatedConfig {
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
        try textConfig.validateTower(section: "text_config")
        try visionConfig.validateTower(section: "vision_config")
        if projectionDim <= 0 { throw EncoderError.invalidConfig(file: "", field: "projection_dim", reason: "must be positive") }
    }
}
