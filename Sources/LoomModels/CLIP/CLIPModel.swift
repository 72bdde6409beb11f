import Foundation
import LoomFeatures
import LoomTensor
import LoomWeights

/// A CLIP dual encoder loaded from a Hugging Face folder (config.json, model.safetensors, and
/// preprocessor_config.json for images): normalized image and text embeddings in one space.
///
/// Follows transformers' CLIPModel (transformers/models/clip/modeling_clip.py):
/// image_embeds = normalize(visual_projection(pooled CLS)), text_embeds = normalize(text_projection(
/// pooled EOS)), logits_per_image = exp(logit_scale) * cos. Weights are immutable; one model can
/// serve many threads.
public struct CLIPModel: Sendable {
    public let config: CLIPConfig
    public let vision: CLIPVisionTransformer
    public let text: CLIPTextTransformer
    let visualProjection: LinearLayer  // (projection_dim, vision hidden), no bias
    let textProjection: LinearLayer  // (projection_dim, text hidden), no bias
    /// The checkpoint's `logit_scale` (a log temperature): scores are exp(logitScale) * cos.
    public let logitScale: Float
    /// The folder's image preprocessing, when it has a preprocessor_config.json.
    public let imageProcessor: (any ImageProcessing)?

    /// Loads `folder`; every tensor is checked (missing, misshapen or left over = an error naming the
    /// tensor and file).
    public init(folder: URL) throws {
        try self.init(ModelRegistry.describe(folder, as: .clip))
    }

    /// Loads a CLIP folder the registry described.
    public init(_ model: ModelDescription) throws {
        typealias Names = ViTWeightNames.DualEncoder
        let model = try model.requiring(.clip)
        let config = try ModelFolder.config(CLIPConfig.self, from: model)
        self.config = config
        let root = WeightScope(try model.weights())
        vision = try CLIPVisionTransformer(config: config.visionConfig, weights: root.scope(Names.vision))
        text = try CLIPTextTransformer(config: config.textConfig, weights: root.scope(Names.text))
        visualProjection = try LinearLayer(
            root, Names.visualProjection, in: config.visionConfig.hiddenSize, out: config.projectionDim, bias: false)
        textProjection = try LinearLayer(
            root, Names.textProjection, in: config.textConfig.hiddenSize, out: config.projectionDim, bias: false)
        logitScale = try scalar(root, Names.logitScale)
        try root.verifyAllUsed(ignoring: { $0.hasSuffix(Names.indexBuffer) })
        imageProcessor = try ModelFolder.imageProcessor(model)
    }

    /// The normalized image embedding (projection_dim) of pixel values (3, H, W) or (1, 3, H, W).
    public func imageEmbedding(pixelValues: Tensor) throws -> [Float] {
        let pooled = try vision(pixelValues).pooled!
        return l2Normalized(visualProjection(pooled.reshaped([1, pooled.count])).data)
    }

    /// Normalized image embeddings of several images, encoded as one batch (faster per image).
    public func imageEmbeddings(pixelValues images: [Tensor]) throws -> [[Float]] {
        let outputs = try vision(batch: images)
        let d = config.visionConfig.hiddenSize, p = config.projectionDim
        let projected = visualProjection(Tensor(shape: [outputs.count, d], data: outputs.flatMap { $0.pooled!.data }))
        return (0..<outputs.count).map { l2Normalized(Array(projected.data[($0 * p)..<(($0 + 1) * p)])) }
    }

    /// The normalized text embedding (projection_dim) of token ids from the model's tokenizer
    /// (with its start and end-of-text tokens).
    public func textEmbedding(ids: [Int]) throws -> [Float] {
        let pooled = try text(ids).pooled
        return l2Normalized(textProjection(pooled.reshaped([1, pooled.count])).data)
    }

    /// CLIP's logit for a pair of normalized embeddings: exp(logit_scale) * cos (softmax over texts
    /// gives label probabilities).
    public func logit(imageEmbedding: [Float], textEmbedding: [Float]) -> Float {
        expf(logitScale) * dot(imageEmbedding, textEmbedding)
    }
}

/// A one-element tensor (shape [] or [1]) such as logit_scale.
func scalar(_ scope: WeightScope, _ name: String) throws -> Float {
    let info = try scope.info(name)
    guard info.elementCount == 1 else {
        throw WeightFileError(file: scope.source.path, .shapeMismatch(tensor: scope.fullName(name), expected: [1], actual: info.shape))
    }
    return try scope.tensor(name).data[0]
}
