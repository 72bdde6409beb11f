import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTokenizers

/// Normalized image and text embeddings from a CLIP or SigLIP folder: `loom embed`. The family comes from
/// config.json's model_type. Both embeddings of one model live in one space, so cosine similarity
/// (a dot product) compares images with texts.
public final class DualEncoderTask {
    public enum Family: String, Sendable {
        case clip, siglip
    }

    public let family: Family
    public let folder: URL
    let clip: CLIPModel?
    let siglip: SigLIPModel?
    let imageProcessor: any ImageProcessing
    /// The tokenizer, or why there is none (texts then fail with that reason; images still work).
    let tokenizer: Result<Tokenizer, any Error>

    public init(folder: URL) throws {
        self.folder = folder
        let type = VisionModelFolder.modelType(of: folder) ?? ""
        switch type {
        case "clip":
            family = .clip
            clip = try CLIPModel(folder: folder)
            siglip = nil
        case "siglip":
            family = .siglip
            siglip = try SigLIPModel(folder: folder)
            clip = nil
        default:
            throw VisionModelError.wrongModelType(
                file: folder.appendingPathComponent("config.json").path, found: type, kind: .dualEncoder)
        }
        imageProcessor = try ImageProcessors.load(folder: folder)
        let tokenizerFile = folder.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: tokenizerFile.path) {
            tokenizer = Result { try Tokenizer.load(tokenizerJSON: tokenizerFile) }
        } else {
            tokenizer = .failure(EncoderError.missingFile(path: tokenizerFile.path, what: "the model's tokenizer.json to embed texts"))
        }
    }

    /// Width of the embeddings.
    public var dimension: Int {
        clip.map { $0.config.projectionDim } ?? siglip!.config.visionConfig.hiddenSize
    }

    /// The normalized embedding of a decoded image.
    public func imageEmbedding(_ image: RGBImage) throws -> [Float] {
        let pixels = try imageProcessor.process(image).pixelValues
        if let clip { return try clip.imageEmbedding(pixelValues: pixels) }
        return try siglip!.imageEmbedding(pixelValues: pixels)
    }

    /// The normalized embedding of `text`, tokenized as the model's processor does: CLIP with its start and
    /// end tokens; SigLIP padded to max_position_embeddings with its pad token (`</s>`), as
    /// SiglipProcessor's padding="max_length".
    public func textEmbedding(_ text: String) throws -> [Float] {
        let tokenizer = try tokenizer.get()
        var ids = tokenizer.encode(text, addSpecialTokens: true)
        if let clip { return try clip.textEmbedding(ids: ids) }
        let siglip = siglip!
        let length = siglip.config.textConfig.maxPositionEmbeddings
        if ids.count < length {
            let pad = tokenizer.padTokenID ?? tokenizer.id(for: "</s>") ?? 1
            ids += Array(repeating: pad, count: length - ids.count)
        }
        return try siglip.textEmbedding(ids: ids)
    }
}
