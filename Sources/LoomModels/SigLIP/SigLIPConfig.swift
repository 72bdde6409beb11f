import Foundation

// SigLIP's config.json, as transformers' SiglipConfig / SiglipTextConfig / SiglipVisionConfig
// (transformers/models/siglip/configuration_siglip.py). Absent fields take the class defaults written
// below, which describe google/siglip-base-patch16-224. The tower fields are decoded in
// ViT/TowerConfig.swift.

/// `text_config` of a SigLIP config.
public struct SigLIPTextConfig: TextTowerConfig, Decodable, Sendable, Equatable {
    public var vocabSize = 32000, maxPositionEmbeddings = 64
    public var hiddenSize = 768, intermediateSize = 3072, numHiddenLayers = 12, numAttentionHeads = 12
    public var hiddenAct = HiddenActivation.geluPyTorchTanh
    public var layerNormEps: Float = 1e-6
    /// Output width of the text head; nil (the default) means hidden_size.
    public var projectionSize: Int?

    enum CodingKeys: String, CodingKey { case projectionSize = "projection_size" }

    public init() {}

    public init(from decoder: any Decoder) throws {
        try decodeTowerFields(from: decoder)
        projectionSize = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .projectionSize)
    }

    /// projection_size, or hidden_size when absent (SiglipTextConfig.__post_init__).
    public var headSize: Int { projectionSize ?? hiddenSize }
}

/// `vision_config` of a SigLIP config. Idefics3 / SmolVLM `vision_config` uses the same keys (with
/// other class defaults: build it with `init(hiddenSize:...)` or decode the JSON, which has every field).
public struct SigLIPVisionConfig: VisionTowerConfig, Decodable, Sendable, Equatable {
    public var hiddenSize = 768, intermediateSize = 3072, numHiddenLayers = 12, numAttentionHeads = 12
    public var numChannels = 3, imageSize = 224, patchSize = 16
    public var hiddenAct = HiddenActivation.geluPyTorchTanh
    public var layerNormEps: Float = 1e-6
    /// true: the multihead attention pooling head (`head.*`) makes the pooled output.
    public var visionUseHead = true

    enum CodingKeys: String, CodingKey { case visionUseHead = "vision_use_head" }

    public init(
        hiddenSize: Int = 768, intermediateSize: Int = 3072, numHiddenLayers: Int = 12, numAttentionHeads: Int = 12,
        numChannels: Int = 3, imageSize: Int = 224, patchSize: Int = 16,
        hiddenAct: HiddenActivation = .geluPyTorchTanh, layerNormEps: Float = 1e-6, visionUseHead: Bool = true
    ) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numChannels = numChannels
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
        self.visionUseHead = visionUseHead
    }

    public init(from decoder: any Decoder) throws {
        try decodeTowerFields(from: decoder)
        visionUseHead = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Bool.self, forKey: .visionUseHead) ?? visionUseHead
    }
}

/// A SigLIP config.json (`model_type` "siglip").
public struct SigLIPConfig: Decodable, Sendable, Equatable, ValidatedConfig {
    /// "siglip"
    public var modelType = "siglip"
    public var textConfig = SigLIPTextConfig()
    public var visionConfig = SigLIPVisionConfig()

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", textConfig = "text_config", visionConfig = "vision_config"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        textConfig = try c.decodeIfPresent(SigLIPTextConfig.self, forKey: .textConfig) ?? textConfig
        visionConfig = try c.decodeIfPresent(SigLIPVisionConfig.self, forKey: .visionConfig) ?? visionConfig
    }

    func validate() throws {
        guard modelType == "siglip" else { throw EncoderError.wrongModelType(file: "", found: modelType, expected: ["siglip"]) }
        try visionConfig.validateTower(section: "vision_config")
        try textConfig.validateTower(section: "text_config")
        let t = textConfig
        if t.headSize <= 0 { throw EncoderError.invalidConfig(file: "", field: "text_config.projection_size", reason: "must be positive") }
        // Cosine scores need both embeddings in one space: the image head keeps the vision width.
        if visionConfig.visionUseHead && t.headSize != visionConfig.hiddenSize {
            throw EncoderError.invalidConfig(
                file: "", field: "text_config.projection_size",
                reason: "(\(t.headSize)) must equal vision_config.hidden_size (\(visionConfig.hiddenSize)) so image and text embeddings compare")
        }
    }
}
