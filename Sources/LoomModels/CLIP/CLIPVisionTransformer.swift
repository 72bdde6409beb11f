import LoomTensor
import LoomWeights

/// What a vision tower returns for one image.
public struct VisionOutput: Sendable {
    /// (tokens, hidden): the encoder output before pooling. CLIP: class token first, then the
    /// patches, without post_layernorm (as transformers' `last_hidden_state`); SigLIP: the patches
    /// after post_layernorm.
    public var lastHiddenState: Tensor
    /// (hidden): CLIP: post_layernorm of the class token; SigLIP: the attention-pooling head output.
    public var pooled: Tensor?
}

/// CLIPVisionModel (transformers/models/clip/modeling_clip.py, CLIPVisionEmbeddings + CLIPVisionModel):
/// patch conv (no bias), class token, learned positions, pre_layrnorm, pre-LN encoder,
/// post_layernorm on the class token.
public struct CLIPVisionTransformer: Sendable {
    public let config: CLIPVisionConfig
    let classEmbedding: Tensor  // (D)
    let patchWeight: Tensor  // (D, C, P, P)
    let positionEmbedding: Tensor  // (1 + patches, D)
    let preLayerNorm: LayerNormLayer
    let encoder: TransformerEncoder
    let postLayerNorm: LayerNormLayer

    /// Reads the tower under `scope` (`vision_model` in a CLIPModel checkpoint).
    public init(config: CLIPVisionConfig, weights scope: WeightScope) throws {
        self.config = config
        typealias Names = ViTWeightNames.Vision
        let d = config.hiddenSize, eps = config.layerNormEps
        let embeddings = scope.scope(Names.embeddings)
        classEmbedding = try embeddings.tensor(Names.classEmbedding, shape: [d])
        patchWeight = try embeddings.tensor(
            Names.patchEmbedding + ".weight", shape: [d, config.numChannels, config.patchSize, config.patchSize])
        positionEmbedding = try embeddings.tensor(Names.positionEmbedding, shape: [config.patchCount + 1, d])
        preLayerNorm = try LayerNormLayer(scope, Names.preLayerNorm, dim: d, eps: eps)
        encoder = try TransformerEncoder(scope.scope(Names.encoder), shape: config.encoderShape)
        postLayerNorm = try LayerNormLayer(scope, Names.postLayerNorm, dim: d, eps: eps)
    }

    /// One image, pixel values (3, H, W) or (1, 3, H, W) at image_size x image_size.
    public func callAsFunction(_ pixelValues: Tensor) throws -> VisionOutput {
        try callAsFunction(batch: [pixelValues])[0]
    }

    /// Several images run together: every weight product covers all their tokens.
    public func callAsFunction(batch images: [Tensor]) throws -> [VisionOutput] {
        if images.isEmpty { return [] }
        let d = config.hiddenSize
        // [class; patches] + positions per image -> (B * (1 + N), D)
        let (hidden, tokens) = try stackedPatchEmbeddings(
            images, channels: config.numChannels, side: config.imageSize, weight: patchWeight, bias: nil,
            prefix: classEmbedding, positions: positionEmbedding)
        let last = encoder(preLayerNorm(hidden), sequenceLength: tokens)
        // Class token of each image -> post_layernorm -> pooled.
        var classTokens = [Float]()
        classTokens.reserveCapacity(images.count * d)
        for b in 0..<images.count { classTokens += last.data[(b * tokens * d)..<(b * tokens * d + d)] }
        let pooled = postLayerNorm(Tensor(shape: [images.count, d], data: classTokens))
        return (0..<images.count).map { b in
            VisionOutput(
                lastHiddenState: Tensor(shape: [tokens, d], data: Array(last.data[(b * tokens * d)..<((b + 1) * tokens * d)])),
                pooled: Tensor(shape: [d], data: Array(pooled.data[(b * d)..<((b + 1) * d)])))
        }
    }
}
