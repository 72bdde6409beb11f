import LoomTensor
import LoomWeights

/// SiglipVisionModel (transformers/models/siglip/modeling_siglip.py): patch conv (with bias), learned
/// positions (no class token), pre-LN encoder, post_layernorm on every patch, then optionally the
/// attention-pooling head.
///
/// Idefics3 / SmolVLM reuse this tower without the head: build it on the `model.vision_model` scope
/// with `useHead: false` and take `encode(_:)`, the post_layernorm patch states.
public struct SigLIPVisionTransformer: Sendable {
    public let config: SigLIPVisionConfig
    let patchWeight: Tensor  // (D, C, P, P)
    let patchBias: Tensor  // (D)
    let positionEmbedding: Tensor  // (patches, D)
    let encoder: TransformerEncoder
    let postLayerNorm: LayerNormLayer
    public let head: SigLIPAttentionPoolingHead?

    /// Reads the tower under `scope` (`vision_model` in a SiglipModel checkpoint). `useHead` defaults to
    /// the config's vision_use_head.
    public init(config: SigLIPVisionConfig, weights scope: WeightScope, useHead: Bool? = nil) throws {
        try config.validateTower(section: "vision_config")
        self.config = config
        typealias Names = ViTWeightNames.Vision
        let d = config.hiddenSize
        let embeddings = scope.scope(Names.embeddings)
        patchWeight = try embeddings.tensor(
            Names.patchEmbedding + ".weight", shape: [d, config.numChannels, config.patchSize, config.patchSize])
        patchBias = try embeddings.tensor(Names.patchEmbedding + ".bias", shape: [d])
        positionEmbedding = try embeddings.tensor(Names.positionEmbedding, shape: [config.patchCount, d])
        encoder = try TransformerEncoder(scope.scope(Names.encoder), shape: config.encoderShape)
        postLayerNorm = try LayerNormLayer(scope, Names.postLayerNorm, dim: d, eps: config.layerNormEps)
        head = (useHead ?? config.visionUseHead) ? try SigLIPAttentionPoolingHead(scope.scope(Names.head), config: config) : nil
    }

    /// A SigLIP vision tower saved alone (transformers' SiglipVisionModel, model_type
    /// "siglip_vision_model"): transformers 4 saves it under `vision_model`, transformers 5 at the root.
    /// `useHead: false` (what `loom bench vision` times) skips the attention-pooling head; nil follows
    /// the config's vision_use_head, as `loom embed` needs for the pooled embedding.
    public init(_ model: ModelDescription, useHead: Bool? = false) throws {
        let model = try model.requiring(.siglipVision)
        let config = try ModelFolder.config(SigLIPVisionConfig.self, from: model)
        let root = WeightScope(try model.weights())
        let nested = root.scope(ViTWeightNames.DualEncoder.vision)
        let embeddings = ViTWeightNames.Vision.embeddings + "." + ViTWeightNames.Vision.patchEmbedding + ".weight"
        try self.init(config: config, weights: nested.contains(embeddings) ? nested : root, useHead: useHead)
    }

    /// The patch states after post_layernorm, (patches, D), for pixel values (3, H, W) or (1, 3, H, W)
    /// at image_size x image_size (transformers' `last_hidden_state`).
    public func encode(_ pixelValues: Tensor) throws -> Tensor {
        try encode(batch: [pixelValues])[0]
    }

    /// `encode` for several images (e.g. Idefics3's tiles) run together: every weight product covers
    /// all their patches.
    public func encode(batch images: [Tensor]) throws -> [Tensor] {
        if images.isEmpty { return [] }
        let d = config.hiddenSize
        let (hidden, tokens) = try stackedPatchEmbeddings(
            images, channels: config.numChannels, side: config.imageSize, weight: patchWeight, bias: patchBias,
            positions: positionEmbedding)
        let last = postLayerNorm(encoder(hidden, sequenceLength: tokens))
        return (0..<images.count).map {
            Tensor(shape: [tokens, d], data: Array(last.data[($0 * tokens * d)..<(($0 + 1) * tokens * d)]))
        }
    }

    /// last_hidden_state and, with the head, the pooled output (D).
    public func callAsFunction(_ pixelValues: Tensor) throws -> VisionOutput {
        try callAsFunction(batch: [pixelValues])[0]
    }

    /// The normalized pooled output, as SiglipModel's image embedding (the tower must have its head).
    public func imageEmbedding(pixelValues: Tensor) throws -> [Float] {
        guard let pooled = try callAsFunction(pixelValues).pooled else {
            throw EncoderError.invalidConfig(file: "config.json", field: "vision_use_head", reason: "is false: the tower has no pooling head")
        }
        return l2Normalized(pooled.data)
    }

    /// Several images run together.
    public func callAsFunction(batch images: [Tensor]) throws -> [VisionOutput] {
        try encode(batch: images).map { last in VisionOutput(lastHiddenState: last, pooled: head.map { $0(last) }) }
    }
}
