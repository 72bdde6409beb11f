import Foundation

/// CLIP's text tokenizer as its tokenizer.json describes it (openai/clip-vit-*): normalizer NFC, runs of
/// whitespace to one space, lowercase; pre-tokenizer = CLIP's word regex (matches kept, the rest dropped)
/// then the byte-level alphabet without its own regex; BPE whose words end in "</w>"; RobertaProcessing
/// puts <|startoftext|> before and <|endoftext|> after. Loom's general `Tokenizer` reads byte-level BPE
/// without normalizers, so CLIP folders use this one; the word merge is `BPEModel`'s, with the suffix.
///
/// Reference: tokenizers (normalizers/{unicode,replace,utils}.rs, pre_tokenizers/split.rs, models/bpe with
/// end_of_word_suffix, processors/roberta.rs) as transformers' CLIPTokenizerFast runs them; golden ids in
/// Tests/Fixtures/vision-embed/clip_text.json (Scripts/reference/dump_clip_text.py).
public struct CLIPTextTokenizer: Sendable {
    let model: BPEModel
    public let startID: Int
    public let endID: Int
    /// Added tokens (the start/end markers), matched in the raw text before anything else.
    let added: [(content: String, id: Int)]

    /// The tokenizer of a CLIP tokenizer.json, or nil when the file is not in CLIP's layout (no
    /// `end_of_word_suffix`): then it is a plain byte-level BPE for `Tokenizer`.
    public static func load(tokenizerJSON url: URL) throws -> CLIPTextTokenizer? {
        func malformed(_ reason: String) -> TokenizerError { TokenizerError(.malformed, source: url.path, reason) }
        guard let data = try? Data(contentsOf: url), let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError(.unreadable, source: url.path, "cannot read the file as JSON; restore tokenizer.json from the model's repository")
        }
        guard let model = root["model"] as? [String: Any], let suffix = model["end_of_word_suffix"] as? String, !suffix.isEmpty else {
            return nil
        }
        guard let vocab = model["vocab"] as? [String: Any] else { throw malformed("model.vocab is not an object of token -> id") }
        var vocabulary: [String: Int] = [:]
        for (token, value) in vocab {
            guard let id = (value as? NSNumber)?.intValue else { throw malformed("model.vocab['\(token)'] is not an integer id") }
            vocabulary[token] = id
        }
        let merges = try Tokenizer.parseMerges(model["merges"] ?? [Any](), source: url.path)
        var added: [(String, Int)] = []
        for entry in (root["added_tokens"] as? [[String: Any]]) ?? [] {
            if let content = entry["content"] as? String, let id = (entry["id"] as? NSNumber)?.intValue { added.append((content, id)) }
        }
        let lookup = { (token: String) in added.first { $0.0 == token }?.1 ?? vocabulary[token] }
        guard let start = lookup("<|startoftext|>"), let end = lookup("<|endoftext|>") else {
            throw malformed("has no <|startoftext|> / <|endoftext|> tokens; it is not a CLIP tokenizer")
        }
        let bpe = try BPEModel(vocabulary: vocabulary, merges: merges, endOfWordSuffix: suffix, source: url.path)
        return CLIPTextTokenizer(model: bpe, startID: start, endID: end, added: added.sorted { $0.0.count > $1.0.count })
    }

    /// Number of ids, added tokens included.
    public var vocabularySize: Int { max(model.vocabularySize, (added.map(\.id).max() ?? -1) + 1) }

    /// Ids with the start and end markers; with `maxLength`, the words are cut so the whole fits (the end
    /// marker kept), as CLIPTokenizerFast with truncation=True.
    public func encode(_ text: String, maxLength: Int?) -> [Int] {
        var ids: [Int] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            // The earliest added token splits the text; the part before it is normal text.
            var cut: (range: Range<Substring.Index>, id: Int)?
            for token in added {
                if let range = rest.range(of: token.content), cut == nil || range.lowerBound < cut!.range.lowerBound {
                    cut = (range, token.id)
                }
            }
            guard let cut else { ids += encodeText(rest); break }
            ids += encodeText(rest[..<cut.range.lowerBound])
            ids.append(cut.id)
            rest = rest[cut.range.upperBound...]
        }
        if let maxLength, ids.count > maxLength - 2 { ids = Array(ids.prefix(max(0, maxLength - 2))) }
        return [startID] + ids + [endID]
    }

    private func encodeText(_ text: Substring) -> [Int] {
        let normalized = String(text).precomposedStringWithCanonicalMapping
            .replacing(#/\s+/#, with: " ")
            .lowercased()
        // CLIP's pre-tokenizer regex (tokenizer.json pre_tokenizer.pretokenizers[0].pattern).
        let words = #/<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/#
        var ids: [Int] = []
        for match in normalized.matches(of: words) {
            let utf8 = Array(normalized[match.range].utf8)
            utf8.withUnsafeBufferPointer { model.encodeWord($0, into: &ids) }
        }
        return ids
    }
}
