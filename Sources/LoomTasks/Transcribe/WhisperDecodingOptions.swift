import LoomTokenizers

/// openai-whisper's `DecodingOptions` for one 30-second window
/// (https://github.com/openai/whisper/blob/main/whisper/decoding.py). Prompts and prefixes are token
/// ids here; text is encoded by the caller (`" " + text.strip()`).
public struct WhisperDecodingOptions: Sendable, Equatable {
    public var task: WhisperTask = .transcribe
    /// nil: detected on multilingual models, "en" on English-only ones.
    public var language: String?
    /// 0: greedy (argmax); above 0: sampling from softmax(logits / temperature).
    public var temperature: Double = 0
    /// Most tokens sampled; nil means n_text_ctx / 2.
    public var sampleLength: Int?
    /// Independent sampled sequences when temperature > 0; the most likely is kept.
    public var bestOf: Int?
    /// Beams for beam search when temperature == 0 (needs a beam decoder, see `WhisperDecoding`).
    public var beamSize: Int?
    public var patience: Double?
    /// nil: rank by sum log-prob / length; else Google NMT's ((5 + length) / 6)^alpha.
    public var lengthPenalty: Double?
    /// Previous-context tokens (after `<|startofprev|>`); empty for none.
    public var prompt: [Int] = []
    /// Tokens forced at the start of the sampled text; empty for none.
    public var prefix: [Int] = []
    /// Token ids to suppress; -1 stands for the tokenizer's non-speech symbols. Empty: no suppression
    /// (not even the special tokens, as in whisper where an empty value disables the filter).
    public var suppressTokens: [Int] = [-1]
    /// Suppress " " and `eot` as the first sampled token.
    public var suppressBlank = true
    /// Decode text only, after `<|notimestamps|>`.
    public var withoutTimestamps = false
    /// Latest first timestamp allowed, in seconds; nil or 0 for no limit.
    public var maxInitialTimestamp: Double? = 1.0
    /// Seed of the sampler's random numbers (sampling cannot reproduce torch's generator).
    public var seed: UInt64 = 0

    public init() {}

    /// whisper's `DecodingTask._verify_options`.
    func verified() throws -> WhisperDecodingOptions {
        if beamSize != nil && bestOf != nil { throw WhisperDecodingError.invalidOptions("beam size and best-of can't be given together") }
        if temperature == 0 && bestOf != nil { throw WhisperDecodingError.invalidOptions("best-of needs a temperature above 0 (greedy decoding has one candidate)") }
        if patience != nil && beamSize == nil { throw WhisperDecodingError.invalidOptions("patience needs a beam size") }
        if let alpha = lengthPenalty, !(0...1).contains(alpha) {
            throw WhisperDecodingError.invalidOptions("length penalty (alpha) must be between 0 and 1, got \(alpha)")
        }
        if !(temperature >= 0) || !temperature.isFinite {
            throw WhisperDecodingError.invalidOptions("temperature must be a finite number >= 0, got \(temperature)")
        }
        if let n = bestOf, n < 1 { throw WhisperDecodingError.invalidOptions("best-of must be at least 1, got \(n)") }
        if let n = beamSize, n < 1 { throw WhisperDecodingError.invalidOptions("beam size must be at least 1, got \(n)") }
        if let n = sampleLength, n < 1 { throw WhisperDecodingError.invalidOptions("sample length must be at least 1, got \(n)") }
        return self
    }
}

/// whisper's `DecodingResult` for one window.
public struct WhisperDecodingResult: Sendable, Equatable {
    public var language: String
    /// Language probabilities when the language was detected for this window.
    public var languageProbabilities: [String: Double]?
    /// Sampled tokens after the initial tokens, up to (not including) `eot`.
    public var tokens: [Int]
    public var text: String
    public var avgLogprob: Double
    public var noSpeechProb: Double
    public var temperature: Double
    public var compressionRatio: Double

    public init(
        language: String, languageProbabilities: [String: Double]? = nil, tokens: [Int], text: String,
        avgLogprob: Double, noSpeechProb: Double, temperature: Double, compressionRatio: Double
    ) {
        self.language = language
        self.languageProbabilities = languageProbabilities
        self.tokens = tokens
        self.text = text
        self.avgLogprob = avgLogprob
        self.noSpeechProb = noSpeechProb
        self.temperature = temperature
        self.compressionRatio = compressionRatio
    }
}

/// What can go wrong while decoding; each message says what to change.
public enum WhisperDecodingError: Error, Equatable, CustomStringConvertible {
    case unsupportedLanguage(String, available: [String])
    case invalidOptions(String)
    case notMultilingual
    case logitsShape(expected: String, got: String)
    case allTokensSuppressed
    case zlibUnavailable(String)
    case melShape([Int])

    public var description: String {
        switch self {
        case .unsupportedLanguage(let code, let available):
            let list = available.isEmpty ? "this model has no language tokens" : "use one of: " + available.joined(separator: ", ")
            return "unsupported language '\(code)'; \(list)"
        case .invalidOptions(let why):
            return "invalid decoding options: \(why)"
        case .notMultilingual:
            return "this Whisper model is English-only and cannot detect languages; give the language 'en' or use a multilingual model"
        case .logitsShape(let expected, let got):
            return "the Whisper decoder returned logits of the wrong shape (expected \(expected), got \(got)); the model and tokenizer do not match"
        case .allTokensSuppressed:
            return "every token was suppressed, nothing can be sampled; check the suppress-tokens option"
        case .zlibUnavailable(let why):
            return "cannot load zlib to compute compression ratios (\(why)); install zlib (Debian: apt-get install zlib1g)"
        case .melShape(let shape):
            return "expected a (mel bins, frames) log-mel spectrogram, got shape \(shape)"
        }
    }
}
