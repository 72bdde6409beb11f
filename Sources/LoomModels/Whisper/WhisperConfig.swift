import Foundation

/// Dimensions and decoding metadata of a Whisper model, as openai-whisper's `ModelDimensions`
/// (https://github.com/openai/whisper/blob/main/whisper/model.py) plus the token lists that
/// CTranslate2's config.json (and Hugging Face's generation config) carry for decoding.
public struct WhisperConfig: Sendable, Equatable {
    /// Mel bins of the input (80, or 128 for large-v3).
    public var melBins: Int
    /// Encoder positions (1500 = 30 s); the input has twice as many mel frames.
    public var audioContext: Int
    /// Model width (d_model), shared by encoder and decoder in every OpenAI checkpoint.
    public var width: Int
    public var encoderHeads: Int
    public var encoderLayers: Int
    /// Hidden size of the encoder MLP (4 x width in OpenAI checkpoints).
    public var encoderFFN: Int
    public var vocabularySize: Int
    /// Learned decoder positions (448): the longest token sequence in one window.
    public var textContext: Int
    public var decoderHeads: Int
    public var decoderLayers: Int
    public var decoderFFN: Int
    /// (decoder layer, head) pairs whose cross-attention follows the alignment (word timestamps).
    public var alignmentHeads: [[Int]]
    /// Language token ids (<|en|>, ...), empty for English-only models.
    public var languageTokenIDs: [Int]
    /// Tokens never to sample (non-speech symbols), and tokens not to sample first.
    public var suppressTokenIDs: [Int]
    public var suppressAtBeginTokenIDs: [Int]

    public init(
        melBins: Int, audioContext: Int, width: Int, encoderHeads: Int, encoderLayers: Int, encoderFFN: Int,
        vocabularySize: Int, textContext: Int, decoderHeads: Int, decoderLayers: Int, decoderFFN: Int,
        alignmentHeads: [[Int]] = [], languageTokenIDs: [Int] = [], suppressTokenIDs: [Int] = [],
        suppressAtBeginTokenIDs: [Int] = []
    ) {
        self.melBins = melBins
        self.audioContext = audioContext
        self.width = width
        self.encoderHeads = encoderHeads
        self.encoderLayers = encoderLayers
        self.encoderFFN = encoderFFN
        self.vocabularySize = vocabularySize
        self.textContext = textContext
        self.decoderHeads = decoderHeads
        self.decoderLayers = decoderLayers
        self.decoderFFN = decoderFFN
        self.alignmentHeads = alignmentHeads
        self.languageTokenIDs = languageTokenIDs
        self.suppressTokenIDs = suppressTokenIDs
        self.suppressAtBeginTokenIDs = suppressAtBeginTokenIDs
    }

    /// Mel frames in one encoder window: the stride-2 conv halves them to `audioContext`.
    public var melFrames: Int { 2 * audioContext }
    /// Multilingual vocabularies have 51865 tokens or more (openai-whisper's `is_multilingual`).
    public var isMultilingual: Bool { vocabularySize >= 51865 }

    /// Throws unless every dimension is positive and the widths split evenly into heads.
    func validate(file: String) throws {
        let dims = [("n_mels", melBins), ("audio context", audioContext), ("d_model", width),
                    ("encoder heads", encoderHeads), ("encoder layers", encoderLayers), ("encoder FFN", encoderFFN),
                    ("vocabulary", vocabularySize), ("text context", textContext), ("decoder heads", decoderHeads),
                    ("decoder layers", decoderLayers), ("decoder FFN", decoderFFN)]
        for (name, value) in dims where value <= 0 || value > 1 << 20 {
            throw WhisperError.invalidConfig(file: file, reason: "\(name) is \(value)")
        }
        for (name, heads) in [("encoder", encoderHeads), ("decoder", decoderHeads)] where width % heads != 0 {
            throw WhisperError.invalidConfig(file: file, reason: "d_model \(width) is not divisible by the \(name)'s \(heads) heads")
        }
        for pair in alignmentHeads where pair.count != 2 || !(0..<decoderLayers).contains(pair[0]) || !(0..<decoderHeads).contains(pair[1]) {
            throw WhisperError.invalidConfig(
                file: file, reason: "alignment head \(pair) is not a [layer, head] pair of the decoder's \(decoderLayers) layers x \(decoderHeads) heads")
        }
    }
}
