import Foundation
import LoomModels
import LoomTokenizers

/// CLIP's text tokenizer as its tokenizer.json describes it (openai/clip-vit-*): normalizer NFC, runs of
/// whitespace to one space, lowercase; pre-tokenizer = CLIP's word regex (matches kept, the rest dropped)
/// then the byte-level alphabet without its own regex; BPE whose words end in "</w>"; RobertaProcessing
/// puts <|startoftext|> before and <|endoftext|> after. Loom's general `Tokenizer` reads byte-level BPE
/// without normalizers, so CLIP folders use this one.
///
/// Reference: tokenizers (normalizers/{unicode,replace,utils}.rs, pre_tokenizers/split.rs, models/bpe with
/// end_of_word_suffix, processors/roberta.rs) as transformers' CLIPTokenizerFast runs them; golden ids in
/// Tests/Fixtures/vision-embed/clip_text.json (Scripts/reference/dump_clip_text.py).
public struct CLIPTextTokenizer: Sendable {
    let vocabulary: [String: Int]
    /// Merge rank of a pair, keyed "left right" (byte-level symbols never hold a space).
    let ranks: [String: Int]
    let suffix: String
    let unknownID: Int?
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
        var ranks: [String: Int] = [:]
        for (rank, item) in ((model["merges"] as? [Any]) ?? []).enumerated() {
            if let text = item as? String {
                ranks[text] = ranks[text] ?? rank
            } else if let pair = item as? [String], pair.count == 2 {
                ranks[pair[0] + " " + pair[1]] = ranks[pair[0] + " " + pair[1]] ?? rank
            } else {
                throw malformed("merge \(rank) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        var added: [(String, Int)] = []
        for entry in (root["added_tokens"] as? [[String: Any]]) ?? [] {
            if let content = entry["content"] as? String, let id = (entry["id"] as? NSNumber)?.intValue { added.append((content, id)) }
        }
        let lookup = { (token: String) in added.first { $0.0 == token }?.1 ?? vocabulary[token] }
        guard let start = lookup("<|startoftext|>"), let end = lookup("<|endoftext|>") else {
            throw malformed("has no <|startoftext|> / <|endoftext|> tokens; it is not a CLIP tokenizer")
        }
        let unknown = (model["unk_token"] as? String).flatMap(lookup)
        return CLIPTextTokenizer(
            vocabulary: vocabulary, ranks: ranks, suffix: suffix, unknownID: unknown, startID: start, endID: end,
            added: added.sorted { $0.0.count > $1.0.count })
    }

    /// Ids with the start and end markers; with `maxLength`, the words are cut so the whole fits (the end
    /// marker kept), as CLIPTokenizerFast with truncation=True.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int] {
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
            let spelled = ByteLevel.spell(normalized[match.range].utf8)
            var symbols = spelled.unicodeScalars.map { String($0) }
            guard !symbols.isEmpty else { continue }
            symbols[symbols.count - 1] += suffix
            merge(&symbols)
            for symbol in symbols {
                if let id = vocabulary[symbol] ?? unknownID { ids.append(id) }
            }
        }
        return ids
    }

    /// Applies merges lowest rank first until none applies (tokenizers' BPE word merge).
    private func merge(_ symbols: inout [String]) {
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for i in 0..<(symbols.count - 1) {
                if let rank = ranks[symbols[i] + " " + symbols[i + 1]], best == nil || rank < best!.rank { best = (rank, i) }
            }
            guard let best else { return }
            let pair = (symbols[best.index], symbols[best.index + 1])
            var merged: [String] = []
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count && symbols[i] == pair.0 && symbols[i + 1] == pair.1 {
                    merged.append(pair.0 + pair.1)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
    }
}
