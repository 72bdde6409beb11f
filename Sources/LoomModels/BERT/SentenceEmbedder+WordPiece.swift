import Foundation
import LoomTokenizers

/// The WordPiece tokenizer as the sentence embedder's tokenizer.
extension WordPieceTokenizer: SentenceTokenizer {
    public func sentenceTokenIDs(_ text: String, maxLength: Int) -> [Int] {
        encode(text, maxLength: maxLength).ids
    }
}

extension SentenceEmbedder {
    /// A sentence-transformers folder (config.json, model.safetensors, tokenizer.json, modules.json,
    /// 1_Pooling/config.json) with its own WordPiece tokenizer.
    public init(folder: URL) throws {
        try self.init(ModelRegistry.describe(folder, as: .sentenceEmbedder))
    }

    /// The folder the registry described, with the WordPiece tokenizer beside its weights.
    public init(_ model: ModelDescription) throws {
        try self.init(model, tokenizer: WordPieceTokenizer(folder: model.requiring(.sentenceEmbedder).folder))
    }
}
