/// The ids of Whisper's special tokens, read from its tokenizer by name as openai-whisper's
/// whisper/tokenizer.py (`Tokenizer.__post_init__`, `timestamp_begin`, `non_speech_tokens`) names them.
public struct WhisperSpecialTokens: Sendable, Equatable {
    public let endOfText: Int
    public let startOfTranscript: Int
    public let translate: Int
    public let transcribe: Int
    public let startOfLM: Int
    public let startOfPrevious: Int
    /// `<|nospeech|>`, spelled `<|nocaptions|>` in older vocabularies.
    public let noSpeech: Int
    public let noTimestamps: Int
    /// Id of `<|0.00|>`; timestamp `k` (k * 0.02 s) is `timestampBegin + k`, up to `<|30.00|>`.
    public let timestampBegin: Int
    /// Language codes in id order ("en", "zh", ...), and their token ids.
    public let languageCodes: [String]
    public let languageIDs: [String: Int]
    /// Ids to suppress so the model does not write speaker tags or annotations (see `nonSpeechTokens`).
    public let nonSpeechTokens: [Int]

    /// Number of timestamp tokens: `<|0.00|>` ... `<|30.00|>` in 0.02 s steps.
    public static let timestampCount = 1501

    /// English-only models (`*.en`) use GPT-2's vocabulary, which ends with `<|endoftext|>` at
    /// 50256; multilingual vocabularies put it at 50257. (openai-whisper decides by the model's
    /// `n_vocab >= 51865`, the same split.) Both list all language tokens.
    public var isMultilingual: Bool { endOfText >= 50257 }
    public var lastTimestamp: Int { timestampBegin + Self.timestampCount - 1 }

    public func isTimestamp(_ id: Int) -> Bool { id >= timestampBegin && id <= lastTimestamp }
    /// The ids `decode` can take: openai-whisper's `Tokenizer.decode` drops timestamp tokens,
    /// which lie past the tokenizer.json vocabulary when it leaves them out.
    public func textTokens(_ ids: [Int]) -> [Int] { ids.filter { $0 < timestampBegin } }
    /// Seconds a timestamp token stands for.
    public func seconds(ofTimestamp id: Int) -> Double { Double(id - timestampBegin) * 0.02 }

    public init(tokenizer: Tokenizer) throws {
        func require(_ names: String...) throws -> Int {
            for name in names {
                if let id = tokenizer.id(for: name) { return id }
            }
            throw TokenizerError(.malformed, source: tokenizer.source,
                                 "no \(names.joined(separator: " or ")) token: this is not a Whisper tokenizer")
        }
        endOfText = try require("<|endoftext|>")
        startOfTranscript = try require("<|startoftranscript|>")
        translate = try require("<|translate|>")
        transcribe = try require("<|transcribe|>")
        startOfLM = try require("<|startoflm|>")
        startOfPrevious = try require("<|startofprev|>")
        noSpeech = try require("<|nospeech|>", "<|nocaptions|>")
        noTimestamps = try require("<|notimestamps|>")
        // Some tokenizer.json files leave the timestamps out; openai-whisper numbers them right
        // after the last special token.
        let lastSpecial = tokenizer.addedTokens.map(\.id).max() ?? noTimestamps
        timestampBegin = tokenizer.id(for: "<|0.00|>") ?? (lastSpecial + 1)

        var languages: [(code: String, id: Int)] = []
        for token in tokenizer.addedTokens where token.id > startOfTranscript && token.id < translate {
            let content = token.content
            guard content.hasPrefix("<|"), content.hasSuffix("|>"), content.count > 4 else { continue }
            languages.append((String(content.dropFirst(2).dropLast(2)), token.id))
        }
        languages.sort { $0.id < $1.id }
        languageCodes = languages.map(\.code)
        languageIDs = Dictionary(languages.map { ($0.code, $0.id) }, uniquingKeysWith: { first, _ in first })
        nonSpeechTokens = Self.nonSpeechTokens(tokenizer)
    }

    /// openai-whisper's `non_speech_tokens`: symbols that start speaker tags and annotations,
    /// encoded alone and after a space, kept when they are one token (the music symbols always
    /// by their first token), plus the leading-space hyphen and quote tokens.
    static func nonSpeechTokens(_ tokenizer: Tokenizer) -> [Int] {
        var symbols = "\"#()*+/:;<=>@[\\]^_`{|}~「」『』".map(String.init)
        symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split(separator: " ").map(String.init)
        let miscellaneous = "♩♪♫♬♭♮♯".map(String.init)
        var result = Set<Int>()
        for prefix in [" -", " '"] {
            if let first = tokenizer.encode(prefix, addSpecialTokens: false).first { result.insert(first) }
        }
        for symbol in symbols + miscellaneous {
            let isMiscellaneous = miscellaneous.contains(symbol)
            for text in [symbol, " " + symbol] {
                let ids = tokenizer.encode(text, addSpecialTokens: false)
                if let first = ids.first, ids.count == 1 || isMiscellaneous { result.insert(first) }
            }
        }
        return result.sorted()
    }
}
