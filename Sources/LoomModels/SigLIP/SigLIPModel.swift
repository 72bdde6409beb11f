import Foundation
import LoomFeatures
import LoomTensor
import LoomWeights

/// A SigLIP dual encoder loaded from a Hugging Face folder (config.json, model.safetensors, and
/// preprocessor_config.json for images): normalized image and text embeddings, scored with a sigmoid.
///
/// Follows transformers' SiglipModel (transformers/models/siglip/modeling_siglip.py):
/// image_embeds = normalize(MAP head output), text_embeds = normalize(head(last token)),
/// logits_per_image = cos * exp(logit_scale) + logit_bias, probability = sigmoid(logit).
public struct SigLIPModel: Sendable {
    public let config: SigLIPConfig
    public let vision: SigLIPVisionTransformer
    public let text: SigLIPTextTransformer
    /// The checkpoint's `logit_scale` (log of the temperature).
    public let logitScale: Float
    /// The checkpoint's `logit_bias`.
    public let logitBias: Float
    /// The folder's image preprocessing, when it has a preprocessor_config.json.
    public let imageProcessor: (any ImageProcessing)?

    /// Loads `folder`; every tensor is checked (missing, misshapen or left over = an error naming the
    /// tensor and file).
    public init(folder: URL) throws {
        try self.init(ModelRegistry.describe(folder, as: .siglip))
    }

    /// Loads a SigLIP folder the registry described.
    public init(_ model: ModelDescription) throws {
        typealias Names = ViTWeightNames.DualEncoder
        let model = try model.requiring(.siglip)
        let config = try ModelFolder.config(SigLIPConfig.self, from: model)
        self.config = config
        let root = WeightScope(try model.weights())
        vision = try SigLIPVisionTransformer(config: config.visionConfig, weights: root.scope(Names.vision), useHead: true)
        text = try SigLIPTextTransformer(config: config.textConfig, weights: root.scope(Names.text))
        logitScale = try scalar(root, Names.logitScale)
        logitBias = try scalar(root, Names.logitBias)
        try root.verifyAllUsed(ignoring: { $0.hasSuffix(Names.indexBuffer) })
        imageProcessor = try ModelFolder.imageProcessor(model)
    }

    /// The normalized image embedding (vision hidden size) of pixel values (3, H, W) or (1, 3, H, W).
    public func imageEmbedding(pixelValues: Tensor) throws -> [Float] {
        l2Normalized(try vision(pixelValues).pooled!.data)
    }

    /// Normalized image embeddings of several images, encoded as one batch (faster per image).
    public func imageEmbeddings(pixelValues images: [Tensor]) throws -> [[Float]] {
        try vision(batch: images).map { l2Normalized($0.pooled!.data) }
    }

    /// The normalized text embedding of token ids from the model's tokenizer (padded as it pads).
    public func textEmbedding(ids: [Int]) throws -> [Float] {
        l2Normalized(try text(ids).pooled.data)
    }

    /// SigLIP's logit for a pair of normalized embeddings: cos * exp(logit_scale) + logit_bias.
    public func logit(imageEmbedding: [Float], textEmbedding: [Float]) -> Float {
        dot(imageEmbedding, textEmbedding) * expf(logitScale) + logitBias
    }

    /// The probability that the text describes the image: sigmoid(logit).
    public func probability(imageEmbedding: [Float], textEmbedding: [Float]) -> Float {
        1 / (1 + expf(-logit(imageEmbedding: imageEmbedding, textEmbedding: textEmbedding)))
    }
}
