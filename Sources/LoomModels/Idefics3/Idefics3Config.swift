import Foundation

/// An Idefics3 / SmolVLM config.json (`model_type` "idefics3" or "smolvlm"): a SigLIP-style vision tower,
/// the pixel-shuffle connector and a Llama text model.
///
/// Follows transformers' Idefics3Config (transformers/models/idefics3/configuration_idefics3.py): absent
/// vision fields take Idefics3VisionConfig's defaults (hidden 1152, intermediate 3072, 12 layers, 16 heads,
/// image 224, patch 32), an absent text_config is a Llama with rms_norm_eps 1e-5, scale_factor defaults to 2
/// and image_token_id to 128257.
public struct Idefics3Config: Sendable, Equatable {
    public var modelType: String
    /// The vision tower, without the SigLIP attention-pooling head.
    public var visionConfig: SigLIPVisionConfig
    public var textConfig: LlamaConfig
    /// Side of the square of patches the pixel shuffle folds into one token.
    public var scaleFactor: Int
    /// The `<image>` token id whose embeddings are replaced by image features.
    public var imageTokenID: Int
    /// config.json's path, for messages.
    public var file: String

    /// Tokens per tile after the connector: (image_size / patch_size)^2 / scale_factor^2
    /// (Idefics3Model.image_seq_len).
    public var imageSequenceLength: Int { visionConfig.patchCount / (scaleFactor * scaleFactor) }

    static var visionDefaults: [String: Any] { [
        "hidden_size": 1152, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 16,
        "num_channels": 3, "image_size": 224, "patch_size": 32, "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6,
    ] }

    /// Parses config JSON; `file` names it in errors.
    public init(json data: Data, file: String) throws {
        func invalid(_ field: String, _ reason: String) -> EncoderError { .invalidConfig(file: file, field: field, reason: reason) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw invalid("", "is not a JSON object")
        }
        self.file = file
        modelType = root["model_type"] as? String ?? ""
        guard ["idefics3", "smolvlm"].contains(modelType) else {
            throw EncoderError.wrongModelType(file: file, found: modelType, expected: ["idefics3", "smolvlm"])
        }
        scaleFactor = try Self.integer(root["scale_factor"], default: 2, field: "scale_factor", file: file)
        imageTokenID = try Self.integer(root["image_token_id"], default: 128257, field: "image_token_id", file: file)

        let vision = Self.visionDefaults.merging((root["vision_config"] as? [String: Any]) ?? [:]) { $1 }
        do {
            var config = try JSONDecoder().decode(SigLIPVisionConfig.self, from: JSONSerialization.data(withJSONObject: vision))
            config.visionUseHead = false
            visionConfig = config
        } catch let error as EncoderError {
            throw error.inFile(file)
        } catch {
            throw invalid("vision_config", "cannot be decoded: \(error)")
        }
        do { try visionConfig.validateTower(section: "vision_config") } catch let error as EncoderError { throw error.inFile(file) }
        var text = (root["text_config"] as? [String: Any]) ?? [:]
        if text["rms_norm_eps"] == nil { text["rms_norm_eps"] = 1e-5 }
        if let type = text["model_type"] as? String, type != "llama" {
            throw invalid("text_config.model_type", "is \"\(type)\"; Loom runs Idefics3/SmolVLM with a Llama text model")
        }
        do {
            textConfig = try JSONDecoder().decode(LlamaConfig.self, from: JSONSerialization.data(withJSONObject: text))
        } catch {
            throw invalid("text_config", "cannot be decoded: \(error)")
        }
        do { try textConfig.validate(file: file) } catch let error as LlamaError {
            throw invalid("text_config", "\(error.kind)")
        }
        let side = visionConfig.imageSize / visionConfig.patchSize
        guard scaleFactor > 0, side % scaleFactor == 0 else {
            throw invalid("scale_factor", "(\(scaleFactor)) must be positive and divide the \(side) patches per side of a tile")
        }
        guard imageTokenID >= 0, imageTokenID < textConfig.vocabSize else {
            throw invalid("image_token_id", "(\(imageTokenID)) is outside the text vocabulary of \(textConfig.vocabSize) tokens")
        }
    }

    private static func integer(_ value: Any?, default fallback: Int, field: String, file: String) throws -> Int {
        guard let value, !(value is NSNull) else { return fallback }
        guard let number = value as? NSNumber, number.doubleValue == Double(number.intValue) else {
            throw EncoderError.invalidConfig(file: file, field: field, reason: "must be an integer")
        }
        return number.intValue
    }
}
