import Foundation

// SigLIP's config.json, as transformers' SiglipConfig / SiglipTextConfig / SiglipVisionConfig
// (transformers/models/siglip/configuration_siglip.py). Absent fields take the class defaults, which
// describe google/siglip-base-patch16-224.

/// `text_config` of a SigLIP config.
public struct SigLIPTextConfig: Codable, Sendable, Equatable {
    /// 32000
    public var vocabSize = 32000
    /// 768
    public var hiddenSize = 768
    /// 3072
    public var intermediateSize = 3072
    /// 12
    public var numHiddenLayers = 12
    /// 12
    public var numAttentionHeads = 12
    /// 64
    public var maxPositionEmbeddings = 64
    /// "gelu_pytorch_tanh"
    public var hiddenAct = HiddenActivation.geluPyTorchTanh
    /// 1e-6
    public var layerNormEps: Float = 1e-6
    /// Output width of the text head; nil (the default) means hidden_size.
    public var projectionSize: Int?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", projectionSize = "projection_size"
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
        projectionSize = try c.decodeIfPresent(Int.self, forKey: .projectionSize)
    }

    /// projection_size, or hidden_size when absent (SiglipTextConfig.__post_init__).
    public var headSize: Int { projectionSize ?? hiddenSize }

    var encoderShape: EncoderShape {
        EncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize, layers: numHiddenLayers,
            heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }
}

/// `vision_config` of a SigLIP config. Idefics3 / SmolVLM `vision_config` uses the same keys (with
/// other class defaults: build it with `init(hiddenSize:...)` or decode the JSON, which has every field).
public struct SigLIPVisionConfig: Codable, Sendable, Equatable {
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
    /// 16
    public var patchSize = 16
    /// "gelu_pytorch_tanh"
    public var hiddenAct = HiddenActivation.geluPyTorchTanh
    /// 1e-6
    public var layerNormEps: Float = 1e-6
    /// true: the multihead attention pooling head (`head.*`) makes the pooled output.
    public var visionUseHead = true

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", visionUseHead = "vision_use_head"
    }

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
        visionUseHead = try c.decodeIfPresent(Bool.self, forKey: .visionUseHead) ?? visionUseHead
    }

    var encoderShape: EncoderShape {
        EncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize, layers: numHiddenLayers,
            heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }

    /// Patches per image: (image_size / patch_size)^2.
    public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    /// Throws `.invalidConfig` for sizes the tower cannot run; `section` prefixes field names.
    public func validate(section: String = "vision_config") throws {
        try LoomModels.validate(encoderShape, section: section)
        if numChannels <= 0 || patchSize <= 0 || imageSize < patchSize || imageSize % patchSize != 0 {
            throw EncoderError.invalidConfig(
                file: "", field: section + ".image_size",
                reason: "(\(imageSize)) must be a positive multiple of patch_size (\(patchSize))")
        }
    }
}

/// A SigLIP config.json (`model_type` "siglip").
public struct SigLIPConfig: Codable, Sendable, Equatable, ValidatedConfig {
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
        try visionConfig.validate()
        try LoomModels.validate(textConfig.encoderShape, section: "text_config")
        let t = textConfig
        if t.vocabSize <= 0 || t.maxPositionEmbeddings <= 0 || t.headSize <= 0 {
            throw EncoderError.invalidConfig(
                file: "", field: "text_config.vocab_size", reason: "max_position_embeddings and projection_size must be positive")
        }
        // Cosine scores need both embeddings in one space: the image head keeps the vision width.
        if visionConfig.visionUseHead && t.headSize != visionConfig.hiddenSize {
            throw EncoderError.invalidConfig(
                file: "", field: "text_config.projection_size",
                reason: "(\(t.headSize)) must equal vision_config.hidden_size (\(visionConfig.hiddenSize)) so image and text embeddings compare")
        }
    }
}
