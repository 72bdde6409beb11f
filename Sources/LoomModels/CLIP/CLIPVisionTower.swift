import Foundation
import LoomFeatures
import LoomTensor
import LoomWeights

/// The config.json of a CLIP vision tower saved alone (`model_type` "clip_vision_model"): the vision
/// fields at the top level, plus `projection_dim` for CLIPVisionModelWithProjection.
public struct CLIPVisionTowerConfig: Decodable, Sendable, Equatable, ValidatedConfig {
    public var modelType = "clip_vision_model"
    public var vision = CLIPVisionConfig()
    /// 512, as CLIPVisionConfig's default.
    public var projectionDim = 512

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", projectionDim = "projection_dim"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        vision = try CLIPVisionConfig(from: decoder)
    }

    func validate() throws {
        guard modelType == "clip_vision_model" else {
            throw EncoderError.wrongModelType(file: "", found: modelType, expected: ["clip_vision_model"])
        }
        try LoomModels.validate(vision.encoderShape, section: "config")
        if projectionDim <= 0 { throw EncoderError.invalidConfig(file: "", field: "projection_dim", reason: "must be positive") }
        if vision.numChannels <= 0 || vision.patchSize <= 0 || vision.imageSize < vision.patchSize || vision.imageSize % vision.patchSize != 0 {
            throw EncoderError.invalidConfig(
                file: "", field: "image_size",
                reason: "(\(vision.imageSize)) must be a positive multiple of patch_size (\(vision.patchSize))")
        }
    }
}

/// transformers' CLIPVisionModelWithProjection, as image-encoder folders ship CLIP: the vision tower
/// and `visual_projection` without the text side. Its normalized image embedding is the one the full
/// CLIPModel gives for the same weights.
public struct CLIPVisionTower: Sendable {
    public let config: CLIPVisionTowerConfig
    public let vision: CLIPVisionTransformer
    let visualProjection: LinearLayer  // (projection_dim, hidden), no bias

    public init(folder: URL) throws {
        try self.init(ModelRegistry.describe(folder, as: .clipVision))
    }

    public init(_ model: ModelDescription) throws {
        typealias Names = ViTWeightNames.DualEncoder
        let model = try model.requiring(.clipVision)
        let config = try ModelFolder.config(CLIPVisionTowerConfig.self, from: model)
        self.config = config
        let root = WeightScope(try model.weights())
        vision = try CLIPVisionTransformer(config: config.vision, weights: root.scope(Names.vision))
        visualProjection = try LinearLayer(
            root, Names.visualProjection, in: config.vision.hiddenSize, out: config.projectionDim, bias: false)
        try root.verifyAllUsed(ignoring: { $0.hasSuffix(Names.indexBuffer) })
    }

    /// The normalized image embedding (projection_dim) of pixel values (3, H, W) or (1, 3, H, W).
    public func imageEmbedding(pixelValues: Tensor) throws -> [Float] {
        let pooled = try vision(pixelValues).pooled!
        return l2Normalized(visualProjection(pooled.reshaped([1, pooled.count])).data)
    }
}
