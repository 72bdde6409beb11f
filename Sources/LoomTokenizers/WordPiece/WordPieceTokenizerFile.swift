import Foundation

// Reads the parts of a Hugging Face tokenizer.json that a BERT WordPiece tokenizer uses
// (format: https://huggingface.co/docs/tokenizers/api/tokenizer, serialized by tokenizers' serde).

/// One element of a post-processor template: a special token or the input sequence.
public enum WordPieceTemplatePiece: Sendable, Equatable {
    case special(ids: [Int], typeID: Int)
    case sequence(typeID: Int)
}

/// The decoded contents of tokenizer.json.
struct WordPieceTokenizerFile {
    var vocabulary: WordPieceVocabulary
    var normalizer: WordPieceNormalizer?
    var addedTokens: [WordPieceAddedToken]
    var template: [WordPieceTemplatePiece]
    var padID: Int
    var padTypeID: Int
    var truncationMaxLength: Int?

    init(data: Data, file: String) throws {
        func malformed(_ what: String) -> WordPieceTokenizerError { WordPieceTokenizerError(file: file, .malformed(what)) }
        func unsupported(_ what: String) -> WordPieceTokenizerError { WordPieceTokenizerError(file: file, .unsupported(what)) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw malformed("not JSON (\(error.localizedDescription))")
        }
        guard let root = json as? [String: Any] else { throw malformed("the top level is not a JSON object") }

        // Model: WordPiece with its vocabulary.
        guard let model = root["model"] as? [String: Any] else { throw malformed("no \"model\" object") }
        let modelType = model["type"] as? String ?? "(none)"
        guard modelType == "WordPiece" else { throw unsupported("model type \(modelType), expected WordPiece") }
        guard let rawVocab = model["vocab"] as? [String: Any], !rawVocab.isEmpty else {
            throw malformed("model.vocab is missing or empty")
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(rawVocab.count)
        for (token, value) in rawVocab {
            guard let id = Self.int(value), id >= 0 else { throw malformed("model.vocab[\"\(token)\"] is not a token id") }
            ids[token] = id
        }
        let unkToken = model["unk_token"] as? String ?? "[UNK]"
        guard let unknownID = ids[unkToken] else { throw malformed("unk_token \"\(unkToken)\" is not in the vocabulary") }
        let prefix = model["continuing_subword_prefix"] as? String ?? "##"
        let maxChars = model["max_input_chars_per_word"].flatMap(Self.int) ?? 100
        vocabulary = WordPieceVocabulary(ids: ids, unknownID: unknownID, continuingSubwordPrefix: prefix, maxInputCharsPerWord: maxChars)

        // Normalizer: BertNormalizer or none.
        switch root["normalizer"] {
        case nil, is NSNull:
            normalizer = nil
        case let object as [String: Any]:
            let type = object["type"] as? String ?? "(none)"
            guard type == "BertNormalizer" else { throw unsupported("normalizer \(type), expected BertNormalizer") }
            normalizer = WordPieceNormalizer(
                cleanText: object["clean_text"] as? Bool ?? true,
                handleChineseChars: object["handle_chinese_chars"] as? Bool ?? true,
                stripAccents: object["strip_accents"] as? Bool,
                lowercase: object["lowercase"] as? Bool ?? true)
        default:
            throw malformed("\"normalizer\" is not an object")
        }

        // Pre-tokenizer: BertPreTokenizer.
        guard let pre = root["pre_tokenizer"] as? [String: Any] else { throw unsupported("no BertPreTokenizer pre_tokenizer") }
        let preType = pre["type"] as? String ?? "(none)"
        guard preType == "BertPreTokenizer" else { throw unsupported("pre_tokenizer \(preType), expected BertPreTokenizer") }

        // Added tokens.
        var added: [WordPieceAddedToken] = []
        if let list = root["added_tokens"] as? [[String: Any]] {
            for entry in list {
                guard let id = entry["id"].flatMap(Self.int), let content = entry["content"] as? String else {
                    throw malformed("an added_tokens entry lacks an id or content")
                }
                added.append(WordPieceAddedToken(
                    id: id, content: content, normalized: entry["normalized"] as? Bool ?? false,
                    special: entry["special"] as? Bool ?? false))
            }
        }
        addedTokens = added

        template = try Self.template(root["post_processor"], vocabulary: ids, malformed: malformed, unsupported: unsupported)

        let padding = root["padding"] as? [String: Any]
        padID = padding?["pad_id"].flatMap(Self.int) ?? ids["[PAD]"] ?? 0
        padTypeID = padding?["pad_type_id"].flatMap(Self.int) ?? 0
        truncationMaxLength = (root["truncation"] as? [String: Any])?["max_length"].flatMap(Self.int)
    }

    /// The single-sequence template of a TemplateProcessing or BertProcessing post-processor.
    private static func template(
        _ value: Any?, vocabulary: [String: Int],
        malformed: (String) -> WordPieceTokenizerError, unsupported: (String) -> WordPieceTokenizerError
    ) throws -> [WordPieceTemplatePiece] {
        guard let processor = value as? [String: Any] else { return [.sequence(typeID: 0)] }  // null: no special tokens
        switch processor["type"] as? String {
        case "TemplateProcessing":
            guard let single = processor["single"] as? [[String: Any]] else { throw malformed("post_processor.single is not a list") }
            let specials = processor["special_tokens"] as? [String: Any] ?? [:]
            return try single.map { piece in
                if let special = piece["SpecialToken"] as? [String: Any] {
                    guard let name = special["id"] as? String else { throw malformed("a SpecialToken has no id") }
                    let typeID = special["type_id"].flatMap(int) ?? 0
                    if let entry = specials[name] as? [String: Any], let ids = entry["ids"] as? [Any] {
                        let resolved = ids.compactMap(int)
                        guard resolved.count == ids.count else { throw malformed("special token \(name) has non-integer ids") }
                        return .special(ids: resolved, typeID: typeID)
                    }
                    guard let id = vocabulary[name] else { throw malformed("special token \(name) is neither in special_tokens nor the vocabulary") }
                    return .special(ids: [id], typeID: typeID)
                }
                if let sequence = piece["Sequence"] as? [String: Any] {
                    return .sequence(typeID: sequence["type_id"].flatMap(int) ?? 0)
                }
                throw malformed("a post_processor.single entry is neither SpecialToken nor Sequence")
            }
        case "BertProcessing":
            guard let cls = processor["cls"] as? [Any], cls.count == 2, let clsID = int(cls[1]),
                  let sep = processor["sep"] as? [Any], sep.count == 2, let sepID = int(sep[1]) else {
                throw malformed("BertProcessing needs cls and sep as [token, id]")
            }
            return [.special(ids: [clsID], typeID: 0), .sequence(typeID: 0), .special(ids: [sepID], typeID: 0)]
        case let other:
            throw unsupported("post_processor \(other ?? "(no type)"), expected TemplateProcessing or BertProcessing")
        }
    }

    /// A JSON number that is a whole number.
    static func int(_ value: Any) -> Int? {
        // Foundation bridges 0 and 1 to Bool under `is Bool`; a JSON true/false has its own class.
        guard let number = value as? NSNumber, type(of: number) != type(of: NSNumber(value: true)) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 1e15 else { return nil }
        return number.intValue
    }
}
