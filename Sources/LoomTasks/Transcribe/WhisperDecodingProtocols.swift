import LoomModels
import LoomTokenizers
import LoomTensor

/// The special token ids the decoding loop needs, as openai-whisper's `Tokenizer` exposes them
/// (https://github.com/openai/whisper/blob/main/whisper/tokenizer.py). Filled in from the model's
/// tokenizer by whoever loads the model.
public struct WhisperDecodingTokens: Sendable, Equatable {
    public var sot: Int
    public var eot: Int
    public var transcribe: Int
    public var translate: Int
    public var noTimestamps: Int
    /// `<|nospeech|>` (`<|nocaptions|>` in old English-only vocabularies); nil when the vocabulary has none.
    public var noSpeech: Int?
    public var sotPrev: Int
    public var sotLM: Int
    /// `<|0.00|>`; every id at or above it is a timestamp, 0.02 s apart.
    public var timestampBegin: Int
    /// Multilingual models put a language and a task token after `<|startoftranscript|>`;
    /// English-only models put nothing there (whisper's `get_tokenizer(multilingual=False)`).
    public var multilingual: Bool
    /// Language code ("en", "de", ...) to its `<|xx|>` token, limited to the model's languages.
    public var languageTokens: [String: Int]
    /// `Tokenizer.non_speech_tokens`: symbols suppressed by the default `suppress_tokens="-1"`.
    public var nonSpeechTokens: [Int]
    /// `tokenizer.encode(" ")`, suppressed with `eot` at the first sampled position (SuppressBlank).
    public var blankTokens: [Int]

    public init(
        sot: Int, eot: Int, transcribe: Int, translate: Int, noTimestamps: Int, noSpeech: Int?,
        sotPrev: Int, sotLM: Int, timestampBegin: Int, multilingual: Bool, languageTokens: [String: Int],
        nonSpeechTokens: [Int], blankTokens: [Int]
    ) {
        self.sot = sot
        self.eot = eot
        self.transcribe = transcribe
        self.translate = translate
        self.noTimestamps = noTimestamps
        self.noSpeech = noSpeech
        self.sotPrev = sotPrev
        self.sotLM = sotLM
        self.timestampBegin = timestampBegin
        self.multilingual = multilingual
        self.languageTokens = languageTokens
        self.nonSpeechTokens = nonSpeechTokens
        self.blankTokens = blankTokens
    }

    /// Language codes in token-id order (whisper's `all_language_codes`).
    public var languageCodes: [String] {
        languageTokens.sorted { $0.value < $1.value }.map(\.key)
    }

    /// `Tokenizer.sot_sequence`: `[sot]` for English-only models, `[sot, <|lang|>, <|task|>]` otherwise.
    /// A multilingual model without a language gets "en", as `get_tokenizer` does.
    public func sotSequence(language: String?, task: WhisperTask) throws -> [Int] {
        guard multilingual else { return [sot] }
        let code = (language ?? "en").lowercased()
        guard let languageToken = languageTokens[code] else {
            throw WhisperDecodingError.unsupportedLanguage(code, available: languageCodes)
        }
        return [sot, languageToken, task == .translate ? translate : transcribe]
    }
}

/// Token ids to text and back, as the model's tokenizer does it.
public protocol WhisperTextDecoding {
    /// The text of `ids`, which hold no timestamp tokens (callers drop ids >= `timestampBegin` first,
    /// as whisper's `Tokenizer.decode` does). Other special tokens render as their text, as tiktoken does.
    func decode(_ ids: [Int]) -> String
    /// Plain BPE encoding of `text`, no special tokens (prompts are encoded as `" " + text.strip()`).
    func encode(_ text: String) -> [Int]
}

/// A running decoder over one encoded 30-second window: self-attention caches live here.
public protocol WhisperDecoderSession {
    /// Appends `newTokens[i]` to sequence i (every sequence gets the same number of tokens: the whole
    /// initial prompt on the first call, one token afterwards), runs the decoder over them and returns,
    /// per sequence, the logits (`nVocab` values) at each of `positions`, indices into the appended tokens.
    /// The first call asks for the `<|startoftranscript|>` position too, for the no-speech probability.
    mutating func logits(for newTokens: [[Int]], at positions: [Int]) throws -> [[[Float]]]
    /// Keeps sequence `sourceIndices[i]` as sequence i (beam search; whisper's `rearrange_kv_cache`).
    mutating func reorder(_ sourceIndices: [Int]) throws
}

/// The Whisper network as the decoding loop sees it: an encoder for (n_mels, 3000) log-mel windows
/// and decoder sessions over the encoded audio.
public protocol WhisperModelRunning {
    /// The encoder's output, typically a (1500, d_model) tensor.
    associatedtype EncodedAudio
    associatedtype Session: WhisperDecoderSession
    var nVocab: Int { get }
    /// The decoder's context length (448 for every released Whisper model).
    var nTextCtx: Int { get }
    func encode(mel window: Tensor) throws -> EncodedAudio
    /// A decoder session over `audio` with `batch` sequences (beam size or best-of, else 1).
    func startDecoding(_ audio: EncodedAudio, batch: Int) throws -> Session
    /// One decoder pass over `tokens` keeping the alignment heads' cross-attention scores over the
    /// first `frames` encoder positions, for word timestamps.
    func alignmentPass(_ audio: EncodedAudio, tokens: [Int], frames: Int) throws -> WhisperAlignmentPass
}

extension WhisperModelRunning {
    /// A model that shows no cross-attention cannot time words.
    public func alignmentPass(_ audio: EncodedAudio, tokens: [Int], frames: Int) throws -> WhisperAlignmentPass {
        throw WhisperDecodingError.invalidOptions("word timestamps need a model whose decoder exposes its cross-attention")
    }
}

extension WhisperDecoderSession {
    /// The logits at the last appended position of each sequence.
    mutating func lastLogits(for newTokens: [[Int]]) throws -> [[Float]] {
        let count = newTokens.first?.count ?? 0
        return try logits(for: newTokens, at: [count - 1]).map { $0[0] }
    }
}
