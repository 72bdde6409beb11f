import Dispatch
import Foundation
import LoomTensor

// A sentence-transformers folder run end to end (sentence_transformers/SentenceTransformer.py encode):
// modules.json lists Transformer -> Pooling -> optional Normalize; sentence_bert_config.json gives
// max_seq_length and do_lower_case.

/// Text -> token ids with the model's special tokens, at most `maxLength` of them (truncating the
/// text, never the special tokens). LoomTokenizers' WordPieceTokenizer provides it (SentenceEmbedder+WordPiece.swift);
/// it asks more than `TextTokenizing.encode`, which has no length limit.
public protocol SentenceTokenizer: Sendable {
    func sentenceTokenIDs(_ text: String, maxLength: Int) -> [Int]
}

/// A sentence-embedding model: BERT encoder, pooling and optional L2 normalization.
public struct SentenceEmbedder: Sendable {
    public let encoder: BERTEncoder
    public let tokenizer: any SentenceTokenizer
    public let pooling: SentencePooling
    public let normalize: Bool
    /// Tokens per text, special tokens included: max_seq_length capped by the position table.
    public let maxLength: Int
    /// sentence_bert_config.json do_lower_case: lowercase texts before tokenizing.
    public let lowercasesInput: Bool
    /// Tokens per encoder call: sequences are packed up to this many, so GEMMs stay large and
    /// activations stay small (an intermediate of 4096 x 1536 floats is 24 MB).
    public var tokensPerBatch = 4096

    /// Embedding width.
    public var dimension: Int { pooling.dimension(hidden: encoder.config.hiddenSize) }

    public init(folder: URL, tokenizer: any SentenceTokenizer) throws {
        try self.init(ModelRegistry.describe(folder, as: .sentenceEmbedder), tokenizer: tokenizer)
    }

    /// The sentence-transformers folder the registry described, with `tokenizer`.
    public init(_ model: ModelDescription, tokenizer: any SentenceTokenizer) throws {
        encoder = try BERTEncoder(model)
        let folder = model.folder
        self.tokenizer = tokenizer
        (pooling, normalize) = try Self.modules(folder: folder)
        let settings = folder.appendingPathComponent("sentence_bert_config.json")
        var maxLength = encoder.config.maxPositions
        var lowercase = false
        if FileManager.default.fileExists(atPath: settings.path) {
            let object = try BERTModelError.jsonObject(settings)
            if let value = object["max_seq_length"], !(value is NSNull) {
                guard let n = BERTModelError.int(value), n > 0 else {
                    throw BERTModelError(file: settings.path, .malformed("max_seq_length is not a positive integer"))
                }
                maxLength = min(n, maxLength)
            }
            lowercase = object["do_lower_case"] as? Bool ?? false
        }
        self.maxLength = maxLength
        lowercasesInput = lowercase
    }

    /// One embedding per text, in order.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        try embed(tokenIDs: tokenIDs(texts))
    }

    /// `embed(_:)` for async callers: it runs on the calling task's executor until done, and a
    /// cancelled task stops before the next batch of `tokensPerBatch` tokens (`CancellationError`).
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try embed(tokenIDs: tokenIDs(texts))
    }

    /// Each text's token ids, tokenized on several threads for long lists.
    public func tokenIDs(_ texts: [String]) -> [[Int]] {
        var ids = [[Int]](repeating: [], count: texts.count)
        let chunks = min(ComputeThreads.count, max(1, texts.count / 16))
        let (tokenizer, maxLength, lowercase) = (self.tokenizer, self.maxLength, lowercasesInput)
        ids.withUnsafeMutableBufferPointer { out in
            let shared = SharedOutput(out)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for i in (texts.count * chunk / chunks)..<(texts.count * (chunk + 1) / chunks) {
                    let text = lowercase ? texts[i].lowercased() : texts[i]
                    shared.buffer[i] = tokenizer.sentenceTokenIDs(text, maxLength: maxLength)
                }
            }
        }
        return ids
    }

    /// One embedding per token-id sequence (special tokens included), in order. Called from a task,
    /// it checks for cancellation before each batch of `tokensPerBatch` tokens.
    public func embed(tokenIDs: [[Int]]) throws -> [[Float]] {
        var result: [[Float]] = []
        result.reserveCapacity(tokenIDs.count)
        var start = 0
        while start < tokenIDs.count {
            try Task.checkCancellation()
            var end = start
            var tokens = 0
            while end < tokenIDs.count, end == start || tokens + tokenIDs[end].count <= tokensPerBatch {
                tokens += tokenIDs[end].count
                end += 1
            }
            let (states, ranges) = try encoder.hiddenStates(Array(tokenIDs[start..<end]))
            for range in ranges {
                let pooled = pooling.pool(states, rows: range)
                result.append(normalize ? SentencePooling.l2Normalized(pooled) : pooled)
            }
            start = end
        }
        return result
    }

    /// Pooling and normalization from modules.json; without it, mean pooling and no normalization
    /// (what sentence-transformers builds for a plain Hugging Face model).
    static func modules(folder: URL) throws -> (SentencePooling, Bool) {
        let url = folder.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return (SentencePooling(), false) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BERTModelError(file: url.path, .cannotRead(reason: error.localizedDescription))
        }
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            throw BERTModelError(file: url.path, .malformed("not a JSON list of modules"))
        }
        var pooling: SentencePooling? = nil
        var normalize = false
        for (index, module) in list.enumerated() {
            let type = module["type"] as? String ?? "(missing)"
            let path = module["path"] as? String ?? ""
            switch type.split(separator: ".").last.map(String.init) {
            case "Transformer" where index == 0:
                continue
            case "Pooling" where index == 1:
                guard !path.contains(".."), !path.hasPrefix("/") else {
                    throw BERTModelError(file: url.path, .malformed("module path \(path) leaves the model folder"))
                }
                pooling = try SentencePooling(contentsOf: folder.appendingPathComponent(path).appendingPathComponent("config.json"))
            case "Normalize" where index == list.count - 1:
                normalize = true
            default:
                throw BERTModelError(file: url.path, .unsupported("module \(index) of type \(type); Loom runs Transformer, Pooling, Normalize in that order"))
            }
        }
        guard let pooling else { throw BERTModelError(file: url.path, .unsupported("no Pooling module after the Transformer")) }
        return (pooling, normalize)
    }
}

/// The output buffer of one concurrentPerform; every iteration writes its own indices.
private struct SharedOutput: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<[Int]>
    init(_ buffer: UnsafeMutableBufferPointer<[Int]>) { self.buffer = buffer }
}
