import Foundation

/// SigLIP's text tokenizer as transformers' slow SiglipTokenizer runs it on a spiece.model (the only tokenizer
/// file of google/siglip-* folders): split out the special tokens ("</s>", "<unk>", spaces around them
/// stripped), canonicalize each part the way big_vision does (lowercase, ASCII punctuation removed, runs of
/// whitespace to one space, trimmed), SentencePiece-encode it behind "<unk>" and drop that prefix's pieces
/// (SiglipTokenizer's trick to keep the dummy prefix), cut to max_length - 1, append "</s>", pad with "</s>".
///
/// Reference: transformers 5.24 models/siglip/tokenization_siglip.py (tokenize, _tokenize, canonicalize_text,
/// build_inputs_with_special_tokens) with tokenization_python.py (tokenize: added-token split, lstrip/rstrip)
/// and tokenization_utils_base.py (truncation="longest_first", padding="max_length");
/// golden ids in Tests/Fixtures/sentencepiece/reference.json.
public struct SiglipTextTokenizer: Sendable {
    public let sentencePiece: SentencePieceTokenizer
    public let eosToken: String
    public let unknownToken: String
    public let padToken: String
    /// tokenizer_config.json's do_lower_case (SiglipTokenizer's default: true).
    public let lowercases: Bool
    public let eosID: Int
    public let padID: Int
    /// The special tokens matched whole in the raw text, longest first.
    private let specials: [(scalars: [Unicode.Scalar], id: Int)]
    /// How many pieces "<unk>" alone encodes to: the prefix dropped from every part.
    private let unknownPrefixCount: Int

    public init(sentencePiece: SentencePieceTokenizer, eosToken: String = "</s>", unknownToken: String = "<unk>",
                padToken: String = "</s>", lowercases: Bool = true) {
        self.sentencePiece = sentencePiece
        self.eosToken = eosToken
        self.unknownToken = unknownToken
        self.padToken = padToken
        self.lowercases = lowercases
        eosID = sentencePiece.id(forPiece: eosToken)
        padID = sentencePiece.id(forPiece: padToken)
        var seen = Set<String>()
        specials = [eosToken, unknownToken, padToken].filter { !$0.isEmpty && seen.insert($0).inserted }
            .sorted { $0.count > $1.count }
            .map { (Array($0.unicodeScalars), sentencePiece.id(forPiece: $0)) }
        unknownPrefixCount = sentencePiece.encodeAsPieces(unknownToken).count
    }

    /// The tokenizer of a SigLIP folder holding spiece.model; tokenizer_config.json, when present, gives
    /// do_lower_case and the eos / unk / pad tokens.
    public static func load(folder: URL) throws -> SiglipTextTokenizer {
        let model = try SentencePieceTokenizer.load(model: folder.appendingPathComponent("spiece.model"))
        let configFile = folder.appendingPathComponent("tokenizer_config.json")
        guard let data = try? Data(contentsOf: configFile) else { return SiglipTextTokenizer(sentencePiece: model) }
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError(.unreadable, source: configFile.path, "cannot read the file as a JSON object; restore it from the model's repository or remove it")
        }
        func token(_ key: String, _ fallback: String) -> String {
            if let text = config[key] as? String { return text }
            if let object = config[key] as? [String: Any], let text = object["content"] as? String { return text }
            return fallback
        }
        return SiglipTextTokenizer(sentencePiece: model, eosToken: token("eos_token", "</s>"), unknownToken: token("unk_token", "<unk>"),
                                   padToken: token("pad_token", "</s>"), lowercases: (config["do_lower_case"] as? Bool) ?? true)
    }

    /// Ids as `tokenizer(text, padding="max_length", truncation=True, max_length=maxLength)["input_ids"]`.
    public func encode(_ text: String, maxLength: Int) -> [Int] {
        var ids = tokenIDs(text)
        if ids.count + 1 > maxLength { ids.removeLast(min(ids.count, ids.count + 1 - maxLength)) }
        if ids.last != eosID { ids.append(eosID) }
        if ids.count < maxLength { ids += Array(repeating: padID, count: maxLength - ids.count) }
        return ids
    }

    /// Ids of `text` before "</s>" and padding (SiglipTokenizer.tokenize, then convert_tokens_to_ids).
    public func tokenIDs(_ text: String) -> [Int] {
        let marked = Array(("\u{2581}" + text.replacingOccurrences(of: "\u{2581}", with: " ")).unicodeScalars)
        // Split out the special tokens, earliest first (longest first at one position), as transformers' Trie.split.
        var parts: [(text: String, special: Int?)] = []
        var partStart = 0
        var position = 0
        while position < marked.count {
            guard let special = specials.first(where: { Self.matches($0.scalars, marked, at: position) }) else {
                position += 1
                continue
            }
            parts.append((String(String.UnicodeScalarView(marked[partStart..<position])), nil))
            parts.append(("", special.id))
            position += special.scalars.count
            partStart = position
        }
        parts.append((String(String.UnicodeScalarView(marked[partStart...])), nil))
        // Special tokens strip the whitespace on both sides (AddedToken lstrip / rstrip).
        for i in parts.indices where parts[i].special != nil {
            if i > 0, parts[i - 1].special == nil { parts[i - 1].text = Self.trimmingPythonSpace(parts[i - 1].text, leading: false) }
            if i + 1 < parts.count, parts[i + 1].special == nil { parts[i + 1].text = Self.trimmingPythonSpace(parts[i + 1].text, trailing: false) }
        }
        var tokens: [(piece: String, id: Int)] = []
        for part in parts {
            if let id = part.special {
                tokens.append(("", id))
            } else if !part.text.isEmpty {
                let pieces = sentencePiece.encodeAsPieces(unknownToken + canonicalize(part.text))
                let kept = pieces.count >= unknownPrefixCount ? pieces.dropFirst(unknownPrefixCount) : pieces[...]
                tokens += kept.map { ($0.piece, sentencePiece.id(forPiece: $0.piece)) }
            }
        }
        if tokens.count > 1, tokens[0].piece == "\u{2581}", tokens[1].piece.isEmpty { tokens.removeFirst() }
        return tokens.map(\.id)
    }

    /// big_vision's canonicalization as SiglipTokenizer.canonicalize_text does it.
    public func canonicalize(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in (lowercases ? Self.pythonLowercased(text) : text).unicodeScalars {
            if Self.isPythonSpace(scalar) {
                pendingSpace = true
            } else if !(scalar.isASCII && Self.asciiPunctuation.contains(UInt8(scalar.value))) {
                if pendingSpace && !scalars.isEmpty { scalars.append(" ") }
                pendingSpace = false
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    private static func matches(_ token: [Unicode.Scalar], _ text: [Unicode.Scalar], at position: Int) -> Bool {
        guard !token.isEmpty, text.count - position >= token.count else { return false }
        for i in token.indices where text[position + i] != token[i] { return false }
        return true
    }

    /// Python's str.lower(): each scalar's full lowercase mapping, and capital sigma as final sigma (ς) when a
    /// cased letter precedes it and none follows (case-ignorable characters skipped), which Swift's
    /// lowercased() does not do. Reference: CPython Objects/unicodeobject.c handle_capital_sigma.
    static func pythonLowercased(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        for (i, scalar) in scalars.enumerated() {
            guard scalar == "\u{03A3}" else {
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                continue
            }
            let before = scalars[..<i].last { !$0.properties.isCaseIgnorable }
            let after = scalars[(i + 1)...].first { !$0.properties.isCaseIgnorable }
            let final = before?.properties.isCased == true && after?.properties.isCased != true
            output.append(final ? "\u{03C2}" : "\u{03C3}")
        }
        return String(output)
    }

    /// Python's string.punctuation.
    private static let asciiPunctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".utf8)

    /// Python's str.isspace(), which both `\s` in re and str.strip() use.
    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    private static func trimmingPythonSpace(_ text: String, leading: Bool = true, trailing: Bool = true) -> String {
        var scalars = Substring(text).unicodeScalars
        while leading, let first = scalars.first, isPythonSpace(first) { scalars.removeFirst() }
        while trailing, let last = scalars.last, isPythonSpace(last) { scalars.removeLast() }
        return String(scalars)
    }
}
