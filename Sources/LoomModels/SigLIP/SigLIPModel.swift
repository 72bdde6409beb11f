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
        let (config, _) = try ModelFolder.config(SigLIPConfig.self, folder: folder)
        self.config = config
        let root = WeightScope(try ModelFolder.weights(folder: folder))
        vision = try SigLIPVisionTransformer(config: config.visionConfig, weights: root.scope("vision_model"), useHead: true)
        text = try SigLIPTextTransformer(config: config.textConfig, weights: root.scope("text_model"))
        logitScale = try scalar(root, "logit_scale")
        logitBias = try scalar(root, "logit_bias")
        try root.verifyAllUsed(ignoring: { $0.hasSuffix("position_ids") })
        let processorFile = folder.appendingPathComponent("preprocessor_config.json")
        imageProcessor = FileManager.default.fileExists(atPath: processorFile.path)
            ? try ImageProcessors.load(folder: folder) : nil
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
