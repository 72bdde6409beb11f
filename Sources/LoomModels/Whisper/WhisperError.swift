import Foundation

/// What can go wrong loading or running a Whisper model. Load errors name the file; run errors name
/// the shapes or values that do not fit and say what the caller should pass instead.
public enum WhisperError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// A config file is unreadable or a value in it (or in the weights) is impossible.
    case invalidConfig(file: String, reason: String)
    /// The model uses a feature Loom's Whisper does not implement (e.g. another activation).
    case unsupported(file: String, feature: String)
    /// The log-mel input is not (melBins, 2 x audio context).
    case melShape(expected: [Int], actual: [Int])
    /// The encoder output handed to the decoder is not (audio context, d_model).
    case encoderOutputShape(expected: [Int], actual: [Int])
    /// `decode` got a token batch that does not fit the state.
    case tokenBatch(String)
    case tokenOutOfRange(token: Int, vocabularySize: Int)
    /// The sequence would pass the decoder's learned positions (448 for OpenAI models).
    case sequenceTooLong(length: Int, limit: Int)
    /// `reorder(beams:)` got an index outside the current batch, or no index at all.
    case beamIndex(String)

    public var description: String {
        switch self {
        case .invalidConfig(let file, let reason):
            return "\(file): invalid Whisper configuration: \(reason). The model folder is corrupt or not a Whisper model."
        case .unsupported(let file, let feature):
            return "\(file): unsupported Whisper variant: \(feature). Use an OpenAI Whisper model converted with ctranslate2 or transformers."
        case .melShape(let expected, let actual):
            return "Whisper encoder input has shape \(actual), expected \(expected) (mel bins, frames): pad or trim audio to one 30 s window and use the model's number of mel bins."
        case .encoderOutputShape(let expected, let actual):
            return "Whisper decoder got an encoder output of shape \(actual), expected \(expected). Pass the output of this model's encode(mel:)."
        case .tokenBatch(let reason):
            return "Whisper decoder token batch: \(reason)."
        case .tokenOutOfRange(let token, let vocabularySize):
            return "Whisper decoder got token id \(token), outside the vocabulary 0..<\(vocabularySize). The tokenizer does not belong to this model."
        case .sequenceTooLong(let length, let limit):
            return "Whisper decoder sequence of \(length) tokens exceeds the model's \(limit) text positions. Stop decoding earlier or start a new window."
        case .beamIndex(let reason):
            return "Whisper decoder state reorder: \(reason)."
        }
    }

    public var errorDescription: String? { description }
}
