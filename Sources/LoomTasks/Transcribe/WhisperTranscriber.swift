import LoomFeatures
import LoomMedia
import LoomTensor

/// Audio samples to a `Transcript` with one Whisper model: the log-mel spectrogram of the whole file
/// (30 s of padding, as whisper's `transcribe()`), then `WhisperTranscriptionLoop` over
/// `WhisperDecoding`. Each window is encoded once and reused across fallback temperatures.
public struct WhisperTranscriber<Model: WhisperModelRunning> {
    public let decoding: WhisperDecoding<Model>

    public init(decoding: WhisperDecoding<Model>) {
        self.decoding = decoding
    }

    /// Transcribes 16 kHz mono `samples`.
    /// - Parameter progress: (frames done, content frames) after each 30-second window; an error it
    ///   throws stops the transcription. A cancelled task stops at the next window (`CancellationError`).
    public func transcribe(
        samples: [Float], melSpectrogram: LogMelSpectrogram, options: WhisperTranscribeOptions = WhisperTranscribeOptions(),
        progress: ((Int, Int) throws -> Void)? = nil
    ) throws -> Transcript {
        let mel = try melSpectrogram.compute(samples, paddingSamples: LogMelSpectrogram.samplesPerWindow)
        return try transcribe(mel: mel, options: options, progress: progress)
    }

    /// Transcribes decoded audio, which must be 16 kHz mono (`LogMelError.wrongSampleRate` otherwise).
    /// `segments` receives each window's new segments as soon as it is decoded.
    public func transcribe(
        audio: AudioBuffer, melSpectrogram: LogMelSpectrogram, options: WhisperTranscribeOptions = WhisperTranscribeOptions(),
        progress: ((Int, Int) throws -> Void)? = nil, segments: (([TranscriptSegment]) throws -> Void)? = nil
    ) throws -> Transcript {
        let mel = try melSpectrogram.compute(audio, paddingSamples: LogMelSpectrogram.samplesPerWindow)
        return try transcribe(mel: mel, options: options, progress: progress, segments: segments)
    }

    /// Transcribes a (mel bins, frames) spectrogram computed with `paddingSamples: 480000`.
    public func transcribe(
        mel: Tensor, options: WhisperTranscribeOptions = WhisperTranscribeOptions(), progress: ((Int, Int) throws -> Void)? = nil,
        segments: (([TranscriptSegment]) throws -> Void)? = nil
    ) throws -> Transcript {
        let loop = WhisperTranscriptionLoop(
            specials: decoding.specials, text: decoding.text, options: options, nTextCtx: decoding.model.nTextCtx)
        let decoding = self.decoding
        return try loop.run(
            mel: mel,
            encode: { try decoding.model.encode(mel: $0) },
            decode: { try decoding.decode($0, options: $1) },
            detectLanguage: decoding.specials.multilingual ? { try decoding.detectLanguage($0) } : nil,
            progress: progress, segments: segments,
            align: options.wordTimestamps ? { try decoding.model.alignmentPass($0, tokens: $1, frames: $2) } : nil)
    }
}
