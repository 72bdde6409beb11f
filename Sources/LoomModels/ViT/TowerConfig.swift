import Foundation

// The fields a CLIP-style tower section shares: `text_config` and `vision_config` of CLIP and SigLIP,
// and SmolVLM's `vision_config`, as transformers' CLIPTextConfig / SiglipVisionConfig name them. They
// are decoded once here; each family's struct holds its own class defaults and its extra fields.

/// An encoder tower's sizes, as config.json names them.
public protocol EncoderTowerConfig {
    var hiddenSize: Int { get set }
    var intermediateSize: Int { get set }
    var numHiddenLayers: Int { get set }
    var numAttentionHeads: Int { get set }
    var hiddenAct: HiddenActivation { get set }
    var layerNormEps: Float { get set }
}

/// A text tower: an encoder over token ids.
public protocol TextTowerConfig: EncoderTowerConfig {
    var vocabSize: Int { get set }
    var maxPositionEmbeddings: Int { get set }
}

/// A vision tower: an encoder over a square grid of patches.
public protocol VisionTowerConfig: EncoderTowerConfig {
    var numChannels: Int { get set }
    var imageSize: Int { get set }
    var patchSize: Int { get set }
}

/// The keys of the shared fields.
private enum TowerKeys: String, CodingKey {
    case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
    case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
    case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    case vocabSize = "vocab_size", maxPositionEmbeddings = "max_position_embeddings"
    case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
}

extension EncoderTowerConfig {
    /// Overwrites the encoder fields the section has; absent ones keep the family's defaults.
    mutating func decodeEncoderFields(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: TowerKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        hiddenAct = try c.decodeIfPresent(HiddenActivation.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
    }

    var encoderShape: EncoderShape {
        EncoderShape(
            hiddenSize: hiddenSize, intermediateSize: intermediateSize, layers: numHiddenLayers,
            heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }
}

extension TextTowerConfig {
    /// The encoder fields, the vocabulary and the context length.
    mutating func decodeTowerFields(from decoder: any Decoder) throws {
        try decodeEncoderFields(from: decoder)
        let c = try decoder.container(keyedBy: TowerKeys.self)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? vocabSize
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
    }

    /// Throws `.invalidConfig` for sizes the tower cannot run; `section` prefixes field names.
    func validateTower(section: String) throws {
        try validate(encoderShape, section: section)
        if vocabSize <= 0 || maxPositionEmbeddings <= 0 {
            throw EncoderError.invalidConfig(file: "", field: section + ".vocab_size", reason: "and max_position_embeddings must be positive")
        }
    }
}

extension VisionTowerConfig {
    /// The encoder fields and the patch grid (a side is an integer or a square [h, w]).
    mutating func decodeTowerFields(from decoder: any Decoder) throws {
        try decodeEncoderFields(from: decoder)
        let c = try decoder.container(keyedBy: TowerKeys.self)
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? numChannels
        imageSize = try c.decodeSide(.imageSize) ?? imageSize
        patchSize = try c.decodeSide(.patchSize) ?? patchSize
    }

    /// Patches per image: (image_size / patch_size)^2.
    public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    /// Throws `.invalidConfig` for sizes the tower cannot run; `section` prefixes field names.
    func validateTower(section: String) throws {
        try validate(encoderShape, section: section)
        if numChannels <= 0 || patchSize <= 0 || imageSize < patchSize || imageSize % patchSize != 0 {
            throw EncoderError.invalidConfig(
                file: "", field: section + ".image_size",
                reason: "(\(imageSize)) must be a positive multiple of patch_size (\(patchSize))")
        }
    }
}
