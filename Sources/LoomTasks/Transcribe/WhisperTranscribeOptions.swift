/// openai-whisper's `transcribe()` keyword arguments that Loom supports
/// (https://github.com/openai/whisper/blob/main/whisper/transcribe.py).
///
/// Not supported: `clip_timestamps` (the whole file is transcribed), `hallucination_silence_threshold`
/// and `carry_initial_prompt`.
public struct WhisperTranscribeOptions: Sendable, Equatable {
    /// Tried in order until a result passes the thresholds below.
    public var temperatures: [Double] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    /// Candidates sampled per window at a temperature above 0, the most probable kept: whisper's and
    /// faster-whisper's `best_of` default, 5 (`decoding.bestOf`, when set, wins).
    public var bestOf = 5
    /// A result compressing better than this is repetitive: try the next temperature.
    public var compressionRatioThreshold: Double? = 2.4
    /// A result with a lower average log-probability failed: try the next temperature.
    public var logprobThreshold: Double? = -1.0
    /// Above this no-speech probability (and below `logprobThreshold`) a window counts as silent.
    public var noSpeechThreshold: Double? = 0.6
    /// Prompt each window with the text decoded so far (reset after a temperature above 0.5).
    public var conditionOnPreviousText = true
    /// Text that prompts the first window (vocabulary, spelling, style).
    public var initialPrompt: String?
    /// Time every word from the alignment heads' cross-attention (`word_timestamps`): segments get
    /// `words`, their bounds follow the words, and a window seeks to its last word's end.
    public var wordTimestamps = false
    /// With word timestamps: marks joined to the following word, and to the preceding one.
    public var prependPunctuations = "\"'“¿([{-"
    public var appendPunctuations = "\"'.。,，!！?？:：”)]}、"
    /// Per-window decoding options; `prompt` and `temperature` are set by the loop, `language` when
    /// nil is detected once from the first 30 seconds on multilingual models ("en" otherwise).
    public var decoding = WhisperDecodingOptions()

    /// Beam sizes and best-of counts users may ask for: each candidate holds its own decoder state,
    /// so an unbounded count is a memory bomb; whisper's own defaults are 5, and past 16 nothing
    /// improves.
    public static let candidateLimit = 1...16

    public init() {}
}
