import LoomCheck
import LoomTensor

extension LogMelSpectrogram {
    /// One encoder input cut from a long spectrogram, as whisper's transcribe loop does:
    /// `pad_or_trim(mel[:, seek : seek + segment_size], N_FRAMES)`
    /// (https://github.com/openai/whisper/blob/main/whisper/transcribe.py). Columns
    /// [startFrame, startFrame + frameCount) of `mel` (melBins, frames), cut to the frames that exist,
    /// then zero-padded (0, not the log floor, like pad_or_trim) or trimmed to `length` columns.
    /// Ranges outside the spectrogram are clamped to it, so the result is always (melBins, length).
    public static func window(
        of mel: Tensor, startFrame: Int, frameCount: Int = framesPerWindow, length: Int = framesPerWindow
    ) -> Tensor {
        require(mel.rank == 2, "window(of:) takes a (melBins, frames) spectrogram, got shape \(mel.shape)")
        let melBins = mel.shape[0], frames = mel.shape[1], length = max(0, length)
        let start = min(max(0, startFrame), frames)
        let end = min(frames, start + max(0, min(frameCount, length)))
        var result = [Float](repeating: 0, count: melBins * length)
        mel.data.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                for m in 0..<melBins {
                    for t in start..<end { destination[m * length + t - start] = source[m * frames + t] }
                }
            }
        }
        return Tensor(shape: [melBins, length], data: result)
    }
}
