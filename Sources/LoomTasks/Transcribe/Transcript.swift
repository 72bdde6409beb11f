/// A transcription result, shaped like openai-whisper's `transcribe()` dictionary so the JSON that
/// Loom writes reads the same to tools built around whisper
/// (https://github.com/openai/whisper/blob/main/whisper/transcribe.py).
public struct Transcript: Codable, Sendable, Equatable {
    /// The whole text: the segments' texts joined as the decoder produced them.
    public var text: String
    public var segments: [TranscriptSegment]
    /// Language code, detected or given (e.g. "en").
    public var language: String

    public init(text: String, segments: [TranscriptSegment], language: String) {
        self.text = text
        self.segments = segments
        self.language = language
    }
}

/// One decoded stretch of speech with its timing and the decoder's confidence.
public struct TranscriptSegment: Codable, Sendable, Equatable {
    public var id: Int
    /// Start of the 30-second window this segment was decoded in, in mel frames (whisper's `seek`).
    public var seek: Int
    public var start: Double
    public var end: Double
    public var text: String
    public var tokens: [Int]
    public var temperature: Double
    public var avgLogprob: Double
    public var compressionRatio: Double
    public var noSpeechProb: Double
    /// The segment's words with their times, when word timestamps were asked for (else nil, and the
    /// JSON has no `words` key, as openai-whisper without `word_timestamps`).
    public var words: [TranscriptWord]?

    public init(id: Int, seek: Int, start: Double, end: Double, text: String, tokens: [Int],
                temperature: Double, avgLogprob: Double, compressionRatio: Double, noSpeechProb: Double,
                words: [TranscriptWord]? = nil) {
        self.id = id
        self.seek = seek
        self.start = start
        self.end = end
        self.text = text
        self.tokens = tokens
        self.temperature = temperature
        self.avgLogprob = avgLogprob
        self.compressionRatio = compressionRatio
        self.noSpeechProb = noSpeechProb
        self.words = words
    }

    enum CodingKeys: String, CodingKey {
        case id, seek, start, end, text, tokens, temperature, words
        case avgLogprob = "avg_logprob"
        case compressionRatio = "compression_ratio"
        case noSpeechProb = "no_speech_prob"
    }
}

/// One word of a segment (openai-whisper's `words` entries): its text as decoded, with its leading
/// space and merged punctuation; times in seconds; the mean probability of its tokens.
public struct TranscriptWord: Codable, Sendable, Equatable {
    public var word: String
    public var start: Double
    public var end: Double
    public var probability: Double

    public init(word: String, start: Double, end: Double, probability: Double) {
        self.word = word
        self.start = start
        self.end = end
        self.probability = probability
    }
}
