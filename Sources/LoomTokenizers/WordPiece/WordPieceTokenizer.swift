import Foundation

// A BERT WordPiece tokenizer read from a Hugging Face tokenizer.json, following the pipeline of
// tokenizers' TokenizerImpl::encode_single_sequence (tokenizers/src/tokenizer/mod.rs): added tokens,
// normalizer, pre-tokenizer, model, truncation, post-processor.

/// Text -> token ids for BERT-family models (e.g. sentence-transformers all-MiniLM-L6-v2).
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: WordPieceVocabulary
    public let normalizer: WordPieceNormalizer?
    public let addedTokens: [WordPieceAddedToken]
    /// The single-sequence post-processor template ([CLS] $A [SEP] for BERT).
    public let template: [WordPieceTemplatePiece]
    public let padID: Int
    public let padTypeID: Int
    /// Default truncation length in tokens (special tokens included); nil = no truncation.
    public var maxLength: Int?

    private let rawMatcher: WordPieceTokenMatcher
    private let normalizedMatcher: WordPieceTokenMatcher

    /// Reads a tokenizer.json file. Its "truncation.max_length", if any, becomes `maxLength`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw WordPieceTokenizerError(file: url.path, .cannotRead(reason: error.localizedDescription))
        }
        try self.init(data: data, file: url.path)
    }

    /// Parses tokenizer.json contents; `file` names the source in errors.
    public init(data: Data, file: String) throws {
        let parsed = try WordPieceTokenizerFile(data: data, file: file)
        vocabulary = parsed.vocabulary
        normalizer = parsed.normalizer
        addedTokens = parsed.addedTokens
        template = parsed.template
        padID = parsed.padID
        padTypeID = parsed.padTypeID
        maxLength = parsed.truncationMaxLength
        rawMatcher = WordPieceTokenMatcher(parsed.addedTokens.filter { !$0.normalized })
        normalizedMatcher = WordPieceTokenMatcher(parsed.addedTokens.filter { $0.normalized })
    }

    /// The tokenizer of a sentence-transformers (or Hugging Face BERT) folder: tokenizer.json, truncated
    /// to sentence_bert_config.json's max_seq_length, else tokenizer_config.json's model_max_length.
    public init(folder: URL) throws {
        try self.init(contentsOf: folder.appendingPathComponent("tokenizer.json"))
        maxLength = try Self.sentenceMaxLength(folder: folder) ?? maxLength
    }

    /// Number of special tokens the template adds around a sequence.
    public var specialTokenCount: Int {
        template.reduce(0) { count, piece in
            if case .special(let ids, _) = piece { return count + ids.count }
            return count
        }
    }

    /// The id of a vocabulary or added token.
    public func id(of token: String) -> Int? {
        addedTokens.first { $0.content == token }?.id ?? vocabulary.ids[token]
    }

    /// Model tokens of `text` without special tokens or truncation.
    public func tokenize(_ text: String) -> [Int] {
        var ids: [Int] = []
        let scalars = Array(text.unicodeScalars)
        for segment in rawMatcher.split(scalars[...]) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let raw):
                let normalized = normalizer?.normalize(Array(raw)) ?? Array(raw)
                for inner in normalizedMatcher.split(normalized[...]) {
                    switch inner {
                    case .token(let id):
                        ids.append(id)
                    case .text(let piece):
                        let words = WordPiecePreTokenizer.split(Array(piece))
                        let base = piece.startIndex
                        for word in words {
                            vocabulary.tokenize(piece[(base + word.lowerBound)..<(base + word.upperBound)], into: &ids)
                        }
                    }
                }
            }
        }
        return ids
    }

    /// Token ids with the template's special tokens, the sequence truncated from the end so the whole
    /// fits `maxLength` (the argument, else the tokenizer's own; nil = no limit).
    public func encode(_ text: String, maxLength: Int? = nil) -> WordPieceEncoding {
        var tokens = tokenize(text)
        if let limit = maxLength ?? self.maxLength {
            let room = max(0, limit - specialTokenCount)
            if tokens.count > room { tokens.removeLast(tokens.count - room) }
        }
        var ids: [Int] = []
        var typeIDs: [Int] = []
        ids.reserveCapacity(tokens.count + specialTokenCount)
        for piece in template {
            switch piece {
            case .special(let special, let typeID):
                ids.append(contentsOf: special)
                typeIDs.append(contentsOf: repeatElement(typeID, count: special.count))
            case .sequence(let typeID):
                ids.append(contentsOf: tokens)
                typeIDs.append(contentsOf: repeatElement(typeID, count: tokens.count))
            }
        }
        return WordPieceEncoding(ids: ids, typeIDs: typeIDs)
    }

    /// Encodes every text and pads them to the longest, with an attention mask.
    public func encodeBatch(_ texts: [String], maxLength: Int? = nil) -> WordPieceBatch {
        WordPieceBatch(texts.map { encode($0, maxLength: maxLength) }, padID: padID, padTypeID: padTypeID)
    }

    /// sentence_bert_config.json max_seq_length, else tokenizer_config.json model_max_length; nil when
    /// neither file exists. A file that exists but is malformed is an error.
    static func sentenceMaxLength(folder: URL) throws -> Int? {
        for (name, key) in [("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")] {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            guard let data = try? Data(contentsOf: url),
                  let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw WordPieceTokenizerError(file: url.path, .malformed("not a JSON object"))
            }
            guard let value = object[key] else { continue }
            // Transformers writes a huge sentinel (1e30) for "no limit"; treat anything absurd as none.
            if let n = WordPieceTokenizerFile.int(value), n >= 1 { return n }
            if let number = value as? NSNumber, number.doubleValue >= 1e9 { continue }
            if value is NSNull { continue }
            throw WordPieceTokenizerError(file: url.path, .malformed("\(key) is not a positive integer"))
        }
        return nil
    }
}
