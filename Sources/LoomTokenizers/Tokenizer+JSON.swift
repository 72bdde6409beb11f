import Foundation

/// Loading a Hugging Face `tokenizer.json` (the tokenizers library's serialization): model BPE,
/// pre-tokenizer ByteLevel / Split / Digits / Sequence, decoder ByteLevel, post-processor
/// TemplateProcessing / ByteLevel. Field meanings: tokenizers/src/{models/bpe,pre_tokenizers,
/// processors,decoders}/*.rs serde definitions.
extension Tokenizer {
    public static func load(tokenizerJSON url: URL) throws -> Tokenizer {
        let source = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError(.unreadable, source: source, "cannot read the file (\(error.localizedDescription))")
        }
        return try load(tokenizerJSON: data, source: source)
    }

    public static func load(tokenizerJSON data: Data, source: String) throws -> Tokenizer {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError(.unreadable, source: source, "not valid JSON; expected a tokenizer.json written by Hugging Face tokenizers")
        }
        guard let root = object as? [String: Any] else {
            throw TokenizerError(.malformed, source: source, "the top level is not a JSON object")
        }
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError(.malformed, source: source, "no \"model\" object")
        }
        let modelType = model["type"] as? String ?? "(none)"
        guard modelType == "BPE" else {
            throw TokenizerError(.unsupported, source: source, "model type '\(modelType)' is not supported; Loom reads byte-level BPE tokenizers")
        }
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            let type = (normalizer as? [String: Any])?["type"] as? String ?? "?"
            throw TokenizerError(.unsupported, source: source, "normalizer '\(type)' is not supported (byte-level BPE tokenizers have none)")
        }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError(.malformed, source: source, "model.vocab is not an object of token -> id")
        }
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(vocab.count)
        for (token, value) in vocab {
            guard let id = (value as? NSNumber)?.intValue else {
                throw TokenizerError(.malformed, source: source, "model.vocab['\(token)'] is not an integer id")
            }
            vocabulary[token] = id
        }
        let merges = try parseMerges(model["merges"], source: source)
        let bpe = try BPEModel(vocabulary: vocabulary, merges: merges, source: source)

        var added: [AddedToken] = []
        for (index, entry) in ((root["added_tokens"] as? [Any]) ?? []).enumerated() {
            guard let entry = entry as? [String: Any], let content = entry["content"] as? String,
                  let id = (entry["id"] as? NSNumber)?.intValue, id >= 0 else {
                throw TokenizerError(.malformed, source: source, "added_tokens[\(index)] needs a string \"content\" and a non-negative \"id\"")
            }
            // Stripping around or word-bounding an added token changes where it matches; Loom
            // matches added tokens exactly, so files asking for more are refused rather than misread.
            for option in ["lstrip", "rstrip", "single_word"] where (entry[option] as? Bool) == true {
                throw TokenizerError(.unsupported, source: source,
                                     "added token '\(content)' sets \(option), which Loom does not implement")
            }
            added.append(AddedToken(content: content, id: id, special: (entry["special"] as? Bool) ?? false))
        }

        let idLimit = 2 * (bpe.vocabularySize + added.count) + 1024
        if let far = added.first(where: { $0.id >= idLimit }) {
            throw TokenizerError(.malformed, source: source, "added token '\(far.content)' has id \(far.id), far beyond the vocabulary's \(bpe.vocabularySize) tokens")
        }
        let (steps, prefixSpace) = try parsePreTokenizer(root["pre_tokenizer"], source: source)
        if let decoder = root["decoder"] as? [String: Any] {
            let type = decoder["type"] as? String ?? "?"
            guard type == "ByteLevel" else {
                throw TokenizerError(.unsupported, source: source, "decoder '\(type)' is not supported; Loom decodes byte-level BPE (decoder ByteLevel)")
            }
        }
        let lookup: (String) -> Int? = { token in
            added.first(where: { $0.content == token })?.id ?? vocabulary[token]
        }
        let (prefix, suffix) = try parsePostProcessor(root["post_processor"], lookup: lookup, source: source)
        return Tokenizer(source: source, model: bpe, preTokenizer: steps, addPrefixSpace: prefixSpace,
                         addedTokens: added, prefixIDs: prefix, suffixIDs: suffix)
    }

    /// Merges as `"a b"` strings (older files) or `["a", "b"]` pairs (tokenizers >= 0.20).
    static func parseMerges(_ value: Any?, source: String) throws -> [(String, String)] {
        guard let list = value as? [Any] else {
            throw TokenizerError(.malformed, source: source, "model.merges is not a list")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(list.count)
        for (index, item) in list.enumerated() {
            if let text = item as? String {
                let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError(.malformed, source: source, "merge \(index) '\(text)' is not two tokens separated by a space")
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = item as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
            } else {
                throw TokenizerError(.malformed, source: source, "merge \(index) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        return merges
    }

    static func parsePreTokenizer(_ value: Any?, source: String) throws -> ([PreTokenizerStep], Bool) {
        guard let value, !(value is NSNull) else {
            throw TokenizerError(.unsupported, source: source, "no pre_tokenizer; Loom needs a byte-level pre-tokenizer")
        }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw TokenizerError(.malformed, source: source, "pre_tokenizer is not an object with a \"type\"")
        }
        switch type {
        case "Sequence":
            var steps: [PreTokenizerStep] = []
            var prefixSpace = false
            for item in (object["pretokenizers"] as? [Any]) ?? [] {
                let (inner, space) = try parsePreTokenizer(item, source: source)
                steps += inner
                prefixSpace = prefixSpace || space
            }
            return (steps, prefixSpace)
        case "ByteLevel":
            let useRegex = (object["use_regex"] as? Bool) ?? true
            return (useRegex ? [.gpt2] : [], (object["add_prefix_space"] as? Bool) ?? false)
        case "Digits":
            return ([.digits(individual: (object["individual_digits"] as? Bool) ?? false)], false)
        case "Split":
            let pattern = (object["pattern"] as? [String: Any])?["Regex"] as? String
                ?? (object["pattern"] as? [String: Any])?["String"] as? String ?? "?"
            let behavior = object["behavior"] as? String ?? "?"
            let invert = (object["invert"] as? Bool) ?? false
            guard behavior == "Isolated", !invert else {
                throw TokenizerError(.unsupported, source: source, "Split pre-tokenizer with behavior '\(behavior)'\(invert ? " inverted" : "") is not supported (only Isolated)")
            }
            switch pattern {
            case PreTokenizerStep.gpt2Pattern: return ([.gpt2], false)
            case PreTokenizerStep.llama3Pattern: return ([.llama3], false)
            default:
                throw TokenizerError(.unsupported, source: source, "Split pre-tokenizer regex \(pattern) is not one Loom implements (GPT-2 or Llama 3)")
            }
        default:
            throw TokenizerError(.unsupported, source: source, "pre_tokenizer '\(type)' is not supported")
        }
    }

    /// The ids TemplateProcessing's `single` template puts before and after sequence A.
    static func parsePostProcessor(_ value: Any?, lookup: (String) -> Int?, source: String) throws -> ([Int], [Int]) {
        guard let object = value as? [String: Any] else { return ([], []) }
        let type = object["type"] as? String ?? "?"
        switch type {
        case "ByteLevel":
            return ([], [])
        case "TemplateProcessing":
            var prefix: [Int] = [], suffix: [Int] = []
            var seenSequence = false
            for item in (object["single"] as? [Any]) ?? [] {
                guard let piece = item as? [String: Any] else { continue }
                if piece["Sequence"] != nil {
                    seenSequence = true
                } else if let special = piece["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    let ids = ((object["special_tokens"] as? [String: Any])?[name] as? [String: Any])?["ids"] as? [NSNumber]
                    guard let resolved = ids?.map(\.intValue) ?? lookup(name).map({ [$0] }) else {
                        throw TokenizerError(.malformed, source: source, "post_processor names special token '\(name)', which has no id")
                    }
                    if seenSequence { suffix += resolved } else { prefix += resolved }
                }
            }
            return (prefix, suffix)
        default:
            throw TokenizerError(.unsupported, source: source, "post_processor '\(type)' is not supported")
        }
    }
}
