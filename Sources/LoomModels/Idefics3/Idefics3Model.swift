import Foundation
import LoomTensor
import LoomWeights

/// An Idefics3 / SmolVLM vision-language model from a Hugging Face folder: the SigLIP vision tower (no
/// pooling head; post_layernorm patch states), the pixel-shuffle connector and the Llama text model,
/// all read from one safetensors checkpoint (`model.vision_model.*`, `model.connector.*`,
/// `model.text_model.*`, `lm_head.*`).
///
/// Follows transformers' Idefics3ForConditionalGeneration (transformers/models/idefics3/modeling_idefics3.py):
/// image features = connector(vision(tiles)) for every tile, placed in order at the `<image>` token positions
/// of the prompt's token embeddings (`inputs_merger`; here `MultimodalPrompt`), then the text model runs on
/// those embeddings (`LlamaSession.forward(prompt:)`).
/// Immutable; share it across threads and make one `LlamaSession` per generation.
public final class Idefics3Model: MediaEmbedding {
    public let config: Idefics3Config
    public let vision: SigLIPVisionTransformer
    public let connector: Idefics3Connector
    public let language: LlamaModel

    /// Loads `folder`; every tensor is checked (missing, misshapen or left over = an error naming it and the file).
    public convenience init(folder: URL) throws {
        try self.init(ModelRegistry.describe(folder, as: .idefics3))
    }

    /// Loads an Idefics3 / SmolVLM folder the registry described.
    public init(_ model: ModelDescription) throws {
        typealias Names = ViTWeightNames.Idefics3
        let model = try model.requiring(.idefics3)
        let config = try Idefics3Config(json: try model.configJSON(), file: model.keyFile.path)
        self.config = config
        let root = WeightScope(try model.weights())
        vision = try SigLIPVisionTransformer(config: config.visionConfig, weights: root.scope(Names.vision), useHead: false)
        connector = try Idefics3Connector(
            root.scope(Names.connector), visionHidden: config.visionConfig.hiddenSize,
            textHidden: config.textConfig.hiddenSize, scaleFactor: config.scaleFactor)
        let text = LlamaWeightNames.huggingFace
        language = LlamaModel(
            config: config.textConfig,
            weights: try LlamaWeights(
                decoder: root.scope(Names.text), head: root.scope(Names.head), names: text, config: config.textConfig,
                tiedWhenHeadAbsent: true),
            ropePairing: text.ropePairing, path: model.folder.path)
        try root.verifyAllUsed(ignoring: { $0.hasSuffix(ViTWeightNames.DualEncoder.indexBuffer) || $0.hasSuffix(text.rotaryCache) })
    }

    /// Post-layernorm patch states of every tile: pixel values (tiles, 3, S, S) -> one (patches, D_vision) per tile.
    public func visionFeatures(pixelValues: Tensor) throws -> [Tensor] {
        let side = config.visionConfig.imageSize, channels = config.visionConfig.numChannels
        guard pixelValues.rank == 4, pixelValues.shape[0] > 0, Array(pixelValues.shape[1...]) == [channels, side, side] else {
            throw EncoderError.wrongImageShape(got: pixelValues.shape, expected: [pixelValues.shape.first ?? 1, channels, side, side])
        }
        let tileValues = channels * side * side
        let tiles = (0..<pixelValues.shape[0]).map { t in
            Tensor(shape: [channels, side, side], data: Array(pixelValues.data[(t * tileValues)..<((t + 1) * tileValues)]))
        }
        return try vision.encode(batch: tiles)
    }

    /// Image features in the text model's space, tile after tile: (tiles * imageSequenceLength, D_text),
    /// the rows of the image's `<image>` tokens (transformers' `inputs_merger` places them in this order).
    public func embeddings(for pixelValues: Tensor) throws -> MediaEmbeddings {
        try MediaEmbeddings(kind: .image, embeddings: connector(tiles: try visionFeatures(pixelValues: pixelValues)))
    }

    /// `<image>`: each image's processor layout holds one per row of its embeddings.
    public var marker: MediaMarker {
        MediaMarker(token: Idefics3Processor.imageToken, id: config.imageTokenID, kind: .image)
    }
}
