import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTokenizers

/// Normalized image and text embeddings from a CLIP or SigLIP folder: `loom embed`. The family comes from
/// config.json's model_type, as `ModelRegistry` reads it; a vision tower saved alone (clip_vision_model,
/// siglip_vision_model, as image-encoder folders ship) embeds images only. Both embeddings of one model live in one
/// space, so cosine similarity (a dot product) compares images with texts. Immutable: any number of
/// threads embed with one instance at the same time.
public final class DualEncoderTask: Sendable {
    public enum Family: String, Sendable {
        case clip, siglip
        /// Vision towers without a text side.
        case clipVision = "clip_vision_model", siglipVision = "siglip_vision_model"
    }

    public let family: Family
    public let folder: URL
    let clip: CLIPModel?
    let siglip: SigLIPModel?
    let clipVision: CLIPVisionTower?
    let siglipVision: SigLIPVisionTransformer?
    let imageProcessor: any ImageProcessing
    /// The tokenizer, or why there is none (texts then fail with that reason; images still work).
    let tokenizer: Result<TextTokenizer, any Error>

    /// CLIP folders carry CLIP's own pipeline (normalizer, "</w>" word ends); others plain byte-level BPE;
    /// SigLIP folders from the hub only spiece.model, read as transformers' SiglipTokenizer.
    enum TextTokenizer: Sendable {
        case clip(CLIPTextTokenizer)
        case byteLevel(Tokenizer)
        case siglip(SiglipTextTokenizer)
    }

    public init(folder: URL) throws {
        self.folder = folder
        let model = try ModelRegistry.describe(folder)
        var (clip, siglip, clipVision, siglipVision): (CLIPModel?, SigLIPModel?, CLIPVisionTower?, SigLIPVisionTransformer?)
        switch model.family {
        case .clip:
            family = .clip
            clip = try CLIPModel(model)
        case .siglip:
            family = .siglip
            siglip = try SigLIPModel(model)
        case .clipVision:
            family = .clipVision
            clipVision = try CLIPVisionTower(model)
        case .siglipVision:
            family = .siglipVision
            let tower = try SigLIPVisionTransformer(model, useHead: nil)
            guard tower.head != nil else {
                throw EncoderError.invalidConfig(
                    file: model.keyFile.path, field: "vision_use_head",
                    reason: "is false: the tower has no pooling head, so it gives patch states, not one embedding per image")
            }
            siglipVision = tower
        default:
            throw VisionModelError.wrongModelType(file: model.keyFile.path, found: model.key.value, kind: .dualEncoder)
        }
        (self.clip, self.siglip, self.clipVision, self.siglipVision) = (clip, siglip, clipVision, siglipVision)
        imageProcessor = try ImageProcessors.load(folder: folder)
        if family == .clipVision || family == .siglipVision {
            let full = family == .clipVision ? ("CLIP", "clip", "openai/clip-vit-base-patch32") : ("SigLIP", "siglip", "google/siglip-base-patch16-224")
            tokenizer = .failure(EncoderError.invalidConfig(
                file: folder.appendingPathComponent("config.json").path, field: "model_type",
                reason: "is \"\(family.rawValue)\": this folder is the \(full.0) vision tower alone, which embeds images only. "
                    + "Embedding texts (--text) needs the full \(full.0) model (model_type \"\(full.1)\", e.g. \(full.2))"))
            return
        }
        let tokenizerFile = folder.appendingPathComponent("tokenizer.json")
        let sentencePieceFile = folder.appendingPathComponent("spiece.model")
        if FileManager.default.fileExists(atPath: tokenizerFile.path) {
            tokenizer = Result {
                if let clip = try CLIPTextTokenizer.load(tokenizerJSON: tokenizerFile) { return .clip(clip) }
                return .byteLevel(try Tokenizer.load(tokenizerJSON: tokenizerFile))
            }
        } else if family == .siglip, FileManager.default.fileExists(atPath: sentencePieceFile.path) {
            tokenizer = Result { .siglip(try SiglipTextTokenizer.load(folder: folder)) }
        } else {
            let wanted = family == .siglip
                ? "the model's tokenizer.json or spiece.model (SentencePiece, as google/siglip-* folders ship it) to embed texts"
                : "the model's tokenizer.json to embed texts"
            tokenizer = .failure(EncoderError.missingFile(path: tokenizerFile.path, what: wanted))
        }
    }

    /// A vision tower saved alone: images only.
    public var isVisionOnly: Bool { family == .clipVision || family == .siglipVision }

    /// Why texts cannot be embedded (no tokenizer, or a vision tower alone); nil when they can.
    public var whyNoText: String? {
        if case .failure(let error) = tokenizer { return "\(error)" }
        return nil
    }

    /// Whether the folder holds a tokenizer, so texts can be embedded (images always can).
    public var embedsText: Bool {
        if case .success = tokenizer { return true }
        return false
    }

    /// Width of the embeddings.
    public var dimension: Int {
        clip?.config.projectionDim ?? clipVision?.config.projectionDim
            ?? siglipVision?.config.hiddenSize ?? siglip!.config.visionConfig.hiddenSize
    }

    /// The normalized embedding of a decoded image.
    public func imageEmbedding(_ image: RGBImage) throws -> [Float] {
        try embedImage(image)
    }

    private func embedImage(_ image: RGBImage) throws -> [Float] {
        let pixels = try imageProcessor.process(image).pixelValues
        if let clip { return try clip.imageEmbedding(pixelValues: pixels) }
        if let clipVision { return try clipVision.imageEmbedding(pixelValues: pixels) }
        if let siglipVision { return try siglipVision.imageEmbedding(pixelValues: pixels) }
        return try siglip!.imageEmbedding(pixelValues: pixels)
    }

    /// The normalized embedding of `text`, tokenized as the model's processor does: CLIP with its start and
    /// end tokens, cut to max_position_embeddings (CLIPTokenizerFast with truncation=True); SigLIP padded to
    /// max_position_embeddings with its pad token (`</s>`), as SiglipProcessor's padding="max_length".
    public func textEmbedding(_ text: String) throws -> [Float] {
        try embedText(text)
    }

    private func embedText(_ text: String) throws -> [Float] {
        let tokenizer = try tokenizer.get()
        if let clip {
            let ids: [Int]
            switch tokenizer {
            case .clip(let clipTokenizer): ids = clipTokenizer.encode(text, maxLength: clip.config.textConfig.maxPositionEmbeddings)
            case .byteLevel(let plain): ids = plain.encode(text, addSpecialTokens: true)
            case .siglip:
                throw EncoderError.invalidConfig(
                    file: folder.appendingPathComponent("spiece.model").path, field: "model",
                    reason: "is a SigLIP tokenizer, but config.json describes a CLIP model; use the tokenizer.json of this model")
            }
            return try clip.textEmbedding(ids: ids)
        }
        let length = siglip!.config.textConfig.maxPositionEmbeddings
        if case .siglip(let sentencePiece) = tokenizer {
            return try siglip!.textEmbedding(ids: sentencePiece.encode(text, maxLength: length))
        }
        guard case .byteLevel(let plain) = tokenizer else {
            throw EncoderError.invalidConfig(
                file: folder.appendingPathComponent("tokenizer.json").path, field: "model",
                reason: "is a CLIP tokenizer, but config.json describes a SigLIP model; use the tokenizer.json of this model")
        }
        var ids = plain.encode(text, addSpecialTokens: true)
        if ids.count < length {
            let pad = plain.padTokenID ?? plain.id(for: "</s>") ?? 1
            ids += Array(repeating: pad, count: length - ids.count)
        }
        return try siglip!.textEmbedding(ids: ids)
    }

    /// `imageEmbedding(_:)` for async callers: it runs on the calling task's executor, and a task
    /// cancelled before it starts gets `CancellationError` (one image takes a fraction of a second).
    public func imageEmbedding(_ image: RGBImage) async throws -> [Float] {
        try Task.checkCancellation()
        return try embedImage(image)
    }

    /// The normalized embedding of `text` (see `textEmbedding(_:)`), for async callers, as
    /// `imageEmbedding(_:)` above.
    public func textEmbedding(_ text: String) async throws -> [Float] {
        try Task.checkCancellation()
        return try embedText(text)
    }
}
