/// Why a log-mel spectrogram could not be computed; each message says what to change.
public enum LogMelError: Error, Equatable, CustomStringConvertible {
    /// Whisper checkpoints use 80 (v1, v2, v3-turbo's predecessors) or 128 (large-v3) mel bins.
    case unsupportedMelBins(Int)
    /// Padding below 0 or above `LogMelSpectrogram.maximumPaddingSamples`.
    case invalidPadding(Int)
    case wrongSampleRate(Int)
    /// A NaN or infinite sample, or samples so large that the power spectrum overflows Float.
    case nonFiniteSamples

    public var description: String {
        switch self {
        case .unsupportedMelBins(let bins):
            return "log-mel spectrogram: \(bins) mel bins requested; Whisper models use 80 or 128 (see the model's config num_mel_bins)"
        case .invalidPadding(let padding):
            return "log-mel spectrogram: padding of \(padding) samples is out of range; pass 0...\(LogMelSpectrogram.maximumPaddingSamples) zero samples to append (whisper's transcribe uses \(LogMelSpectrogram.samplesPerWindow))"
        case .wrongSampleRate(let rate):
            return "log-mel spectrogram: audio is at \(rate) Hz but Whisper's front end needs \(LogMelSpectrogram.sampleRate) Hz; resample it first"
        case .nonFiniteSamples:
            return "log-mel spectrogram: the audio holds NaN or infinite samples (or values far outside [-1, 1]); check the decoder's output"
        }
    }
}
