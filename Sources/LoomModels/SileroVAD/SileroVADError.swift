import Foundation

/// Input that Silero VAD cannot run on. Weight-file problems are `LoomWeights.WeightFileError`s,
/// which name the file and the tensor.
public enum SileroVADError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The model only runs on 16 kHz audio.
    case unsupportedSampleRate(Int)
    /// `Stream.probability(of:)` takes exactly `SileroVAD.chunkLength` samples.
    case wrongChunkLength(Int)
    /// A `SegmentOptions` value outside its range; the text names the field and the value.
    case invalidOption(String)

    public var description: String {
        switch self {
        case .unsupportedSampleRate(let rate):
            return "Silero VAD runs on 16000 Hz audio, but the audio is \(rate) Hz. Decode it with "
                + "AudioDecoder().decode(contentsOf:targetSampleRate: 16000), which resamples."
        case .wrongChunkLength(let count):
            return "Silero VAD takes chunks of \(SileroVAD.chunkLength) samples (32 ms at 16 kHz), got \(count). "
                + "Zero-pad the last chunk of a stream."
        case .invalidOption(let what):
            return "invalid voice activity option: \(what)"
        }
    }

    public var errorDescription: String? { description }
}
