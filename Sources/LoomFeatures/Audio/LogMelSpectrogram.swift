import Foundation
import LoomMedia
import LoomTensor

/// Whisper's log-mel spectrogram front end, computed with FFTW.
///
/// Follows `log_mel_spectrogram` in https://github.com/openai/whisper/blob/main/whisper/audio.py:
/// append `paddingSamples` zeros; STFT with a periodic Hann window of 400 samples, hop 160,
/// `center=True` (reflect padding of 200 samples each side); power |X|^2; drop the last frame;
/// project through the Slaney mel filterbank; log10 of clamp(min 1e-10); floor at (global max - 8);
/// then (x + 4) / 4. Output shape (melBins, frames) with frames = (samples + paddingSamples) / 160.
///
/// Defined where the reference is not:
/// - fewer than 160 samples (after padding) give zero frames: a (melBins, 0) tensor.
/// - 160...200 samples: torch's reflect pad refuses a pad as long as the input; here the signal is
///   mirrored repeatedly as `numpy.pad(mode="reflect")` does (librosa's behaviour), one frame results.
///
/// Long inputs are split into fixed blocks of frames that run on `threads` threads; each block's
/// arithmetic does not depend on the thread count, so results are identical for any `threads`.
public final class LogMelSpectrogram: Sendable {
    public static let sampleRate = 16_000
    public static let nFFT = 400
    public static let hopLength = 160
    /// Seconds of audio in one encoder window.
    public static let chunkLength = 30
    /// Samples in one encoder window (whisper's N_SAMPLES); transcription pads by this much.
    public static let samplesPerWindow = 480_000
    /// Mel frames in one encoder window (whisper's N_FRAMES).
    public static let framesPerWindow = 3000
    /// The most zero samples `compute` appends: one hour, far beyond whisper's one 30 s window.
    public static let maximumPaddingSamples = 3600 * sampleRate

    /// Frames per FFTW batch; fixed so that results never depend on how blocks land on threads.
    static let blockFrames = 32

    public let melBins: Int
    public let threads: Int
    public let filterbank: MelFilterbank
    /// torch.hann_window(400) (periodic): 0.5 - 0.5 cos(2 pi n / 400).
    let window: [Float]
    let plan: RealFFTPlan

    /// - Parameters:
    ///   - melBins: 80 (most Whisper models) or 128 (large-v3).
    ///   - threads: threads used for long inputs; inputs of a few seconds run on one.
    public init(melBins: Int = 80, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        guard melBins == 80 || melBins == 128 else { throw LogMelError.unsupportedMelBins(melBins) }
        self.melBins = melBins
        self.threads = max(1, threads)
        filterbank = MelFilterbank(sampleRate: Self.sampleRate, nFFT: Self.nFFT, melBins: melBins)
        window = (0..<Self.nFFT).map { n in
            Float(0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(Self.nFFT)))
        }
        plan = RealFFTPlan(size: Self.nFFT, batch: Self.blockFrames)
    }

    /// Frames produced for `samples` input samples plus `paddingSamples` zeros.
    public static func frameCount(samples: Int, paddingSamples: Int = 0) -> Int {
        (samples + paddingSamples) / hopLength
    }

    /// The log-mel spectrogram of 16 kHz mono `samples`, shape (melBins, frames).
    /// - Parameter paddingSamples: zeros appended before the STFT, as whisper's `padding` argument
    ///   (transcription passes `samplesPerWindow` and then slices `framesPerWindow`-frame windows).
    /// - Throws: `LogMelError.invalidPadding`; `LogMelError.nonFiniteSamples` when a sample is NaN or
    ///   infinite or the spectrum overflows (torch would return NaN everywhere).
    public func compute(_ samples: [Float], paddingSamples: Int = 0) throws -> Tensor {
        guard (0...Self.maximumPaddingSamples).contains(paddingSamples) else {
            throw LogMelError.invalidPadding(paddingSamples)
        }
        return try samples.withUnsafeBufferPointer { try spectrogram(of: $0, paddingSamples: paddingSamples) }
    }

    /// The log-mel spectrogram of `audio`, which must already be at 16 kHz.
    public func compute(_ audio: AudioBuffer, paddingSamples: Int = 0) throws -> Tensor {
        guard audio.sampleRate == Self.sampleRate else { throw LogMelError.wrongSampleRate(audio.sampleRate) }
        return try compute(audio.samples, paddingSamples: paddingSamples)
    }

    /// whisper's `pad_or_trim`: the first `length` samples, zero-padded at the end when shorter.
    /// A negative length is treated as 0.
    public static func padOrTrim(_ samples: [Float], length: Int = samplesPerWindow) -> [Float] {
        let length = max(0, length)
        if samples.count >= length { return Array(samples[0..<length]) }
        return samples + [Float](repeating: 0, count: length - samples.count)
    }
}
