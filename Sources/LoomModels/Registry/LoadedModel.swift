import Foundation

/// A loaded model of any family Loom runs: what the registry's factory returns, so a caller that takes
/// whatever a folder holds (`loom embed` with CLIP or SigLIP, a model cache, a server) needs no
/// detection of its own.
public enum LoadedModel: Sendable {
    case whisper(WhisperModel)
    case llama(LlamaModel)
    case idefics3(Idefics3Model)
    case clip(CLIPModel)
    case siglip(SigLIPModel)
    case clipVision(CLIPVisionTower)
    case siglipVision(SigLIPVisionTransformer)
    case sentenceEmbedder(SentenceEmbedder)
    case sileroVAD(SileroVAD)
    case ppOCR(PPOCR)

    /// The family's factory applied to `model`.
    public init(_ model: ModelDescription) throws {
        switch model.family {
        case .whisper: self = .whisper(try WhisperModel(model))
        case .llama: self = .llama(try LlamaModel(model))
        case .idefics3: self = .idefics3(try Idefics3Model(model))
        case .clip: self = .clip(try CLIPModel(model))
        case .siglip: self = .siglip(try SigLIPModel(model))
        case .clipVision: self = .clipVision(try CLIPVisionTower(model))
        case .siglipVision: self = .siglipVision(try SigLIPVisionTransformer(model))
        case .sentenceEmbedder: self = .sentenceEmbedder(try SentenceEmbedder(model))
        case .sileroVAD: self = .sileroVAD(try SileroVAD(model))
        case .ppOCR: self = .ppOCR(try PPOCR(model))
        case .multimodalProjector:
            // The llama.cpp mmproj loader is a later issue; the file is recognised so the message can say so.
            throw ModelRegistryError.notSupportedYet(file: model.keyFile.path, family: model.family, key: model.key)
        }
    }

    /// What `url` holds, loaded.
    public init(contentsOf url: URL) throws {
        try self.init(ModelRegistry.describe(url))
    }
}
