import Foundation

extension AudioDecoder {
    /// The one decode loop under `decodeWithReport` and `decodeChunks`: read a block, downmix it,
    /// resample it, hand the output on. `prepare` sees the header before the first block. `data` holds
    /// the file's bytes when they are already in memory (`url` then only names them); nil reads `url`.
    func decodeStream(
        url: URL, data: Data?, targetSampleRate: Int,
        prepare: (AudioInfo) -> Void,
        emit: (UnsafeBufferPointer<Float>) throws -> Void
    ) throws -> AudioDecodeReport {
        guard Self.supportedSampleRates.contains(targetSampleRate) else {
            throw AudioDecodingError.invalidTargetSampleRate(url, targetSampleRate)
        }
        let file = try data.map { try SoundFile(data: $0, url: url) } ?? SoundFile(url: url)
        let info = file.info
        try Self.validate(info, url: url)
        prepare(info)

        let resampler: Resampler?
        do {
            resampler = info.sampleRate == targetSampleRate ? nil : try Resampler(
                from: info.sampleRate, to: targetSampleRate, maxInputFrames: framesPerRead)
        } catch {
            throw AudioDecodingError.resamplerFailed(url, message: error.message)
        }

        var outputFrames = 0
        func counted(_ block: UnsafeBufferPointer<Float>) throws {
            guard !block.isEmpty else { return }
            outputFrames += block.count
            try emit(block)
        }

        let channels = info.channels
        var interleaved = [Float](repeating: 0, count: framesPerRead * channels)
        var mono = [Float](repeating: 0, count: framesPerRead)
        var framesRead = 0
        var nonFinite = 0
        while true {
            let got = interleaved.withUnsafeMutableBufferPointer { file.readFrames(into: $0.baseAddress!, frames: framesPerRead) }
            if got <= 0 { break }
            framesRead += got
            nonFinite += Self.downmix(interleaved, channels: channels, frames: got, into: &mono)
            try mono.withUnsafeBufferPointer { all in
                let block = UnsafeBufferPointer(rebasing: all[0..<got])
                do {
                    if let resampler { try resampler.process(block, emit: counted) } else { try counted(block) }
                } catch let error as ResamplerError {
                    throw AudioDecodingError.resamplerFailed(url, message: error.message)
                }
            }
        }
        do {
            try resampler?.flush(emit: counted)
        } catch let error as ResamplerError {
            throw AudioDecodingError.resamplerFailed(url, message: error.message)
        }

        if framesRead == 0 {
            if let message = file.readError { throw AudioDecodingError.readFailed(url, libraryMessage: message) }
            throw AudioDecodingError.noAudio(url)
        }
        var warnings: [AudioDecodingWarning] = []
        if let expected = expectedFrames(file: file, info: info), framesRead < expected {
            if truncation == .fail {
                throw AudioDecodingError.truncated(url, expectedFrames: expected, decodedFrames: framesRead)
            }
            warnings.append(.truncated(url, expectedFrames: expected, decodedFrames: framesRead))
        }
        if nonFinite > 0 { warnings.append(.nonFiniteSamplesReplaced(url, count: nonFinite)) }
        return AudioDecodeReport(info: info, outputFrames: outputFrames, chunkCount: 0, warnings: warnings)
    }

    /// The frame count the file should have decoded to, when a shortfall means truncation: the WAV
    /// header's own size before libsndfile trimmed it, else the header's frame count. Lossy codecs get
    /// 0.1 s of slack since encoder delay and MP3 size estimates shift their count a little.
    private func expectedFrames(file: SoundFile, info: AudioInfo) -> Int? {
        if let declared = file.declaredFramesBeforeTrimming() { return declared }
        guard let frames = info.frames, frames > 0 else { return nil }
        return file.isLossy ? frames - info.sampleRate / 10 : frames
    }

    /// Mean of the channels of each frame, clipped to full scale [-1, 1]; NaN and infinities become 0.
    /// A float file can hold any value, and one beyond full scale (up to 3e38) would overflow the
    /// resampler and the spectrogram into infinities; the reference clips too (faster-whisper's
    /// `decode_audio` converts to 16-bit). Returns how many non-finite samples were replaced.
    static func downmix(_ interleaved: [Float], channels: Int, frames: Int, into mono: inout [Float]) -> Int {
        var replaced = 0
        let scale = 1 / Float(channels)
        interleaved.withUnsafeBufferPointer { source in
            mono.withUnsafeMutableBufferPointer { target in
                for frame in 0..<frames {
                    var sum: Float = 0
                    let base = frame * channels
                    for channel in 0..<channels {
                        let value = source[base + channel]
                        if value.isFinite { sum += value } else { replaced += 1 }
                    }
                    // A sum that overflowed is infinite, never NaN (its terms are finite): it clips to ±1.
                    target[frame] = min(max(channels == 1 ? sum : sum * scale, -1), 1)
                }
            }
        }
        return replaced
    }
}
