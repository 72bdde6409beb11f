import Foundation

/// Decodes an audio file to mono float samples at the rate a model wants (Whisper: 16 kHz).
///
/// libsndfile reads the file (WAV, FLAC, OGG Vorbis, Opus, MP3, ...) in blocks; each block is
/// downmixed to mono by the mean of its channels, clipped to [-1, 1] (what ffmpeg's `-ac 1` does for stereo, and what
/// faster-whisper's `decode_audio` gets from it: https://github.com/SYSTRAN/faster-whisper/blob/master/
/// faster_whisper/audio.py) and streamed through a libsoxr resampler. Only the
/// mono output at the target rate is ever held whole; `decodeChunks` holds one chunk at a time.
///
/// Truncated files (the header promises more than is there) decode to the part that is there, with a
/// `.truncated` warning in the report, as ffmpeg and faster-whisper do; `truncation: .fail` makes them
/// an error instead.
public struct AudioDecoder: Sendable {
    /// Rates below telephone quality or above studio 768 kHz mean a damaged header, not a recording.
    public static let supportedSampleRates = 1_000...768_000
    /// Up to 3rd-order-plus ambisonics and large surround layouts; more means a damaged header.
    public static let supportedChannelCounts = 1...64

    public enum TruncationPolicy: Sendable {
        /// Keep the decoded part and add a `.truncated` warning (default).
        case decodeAvailable
        /// Throw `AudioDecodingError.truncated`.
        case fail
    }

    /// The most output samples reserved up front: a damaged header can claim days of audio (FLAC
    /// allows 2^36 frames), so beyond 10 minutes at 48 kHz the buffer grows as audio really arrives.
    static let maximumReservation = 48_000 * 600

    public var truncation: TruncationPolicy
    /// Frames libsndfile reads per block; the peak memory of a decode beyond its output is about
    /// `framesPerRead * channels` floats.
    public var framesPerRead: Int

    public init(truncation: TruncationPolicy = .decodeAvailable, framesPerRead: Int = 32_768) {
        self.truncation = truncation
        self.framesPerRead = max(1, framesPerRead)
    }

    /// Reads the header only.
    public static func probe(_ url: URL) throws -> AudioInfo {
        let file = try SoundFile(url: url)
        try validate(file.info, url: url)
        return file.info
    }

    /// The whole file as one mono buffer at `targetSampleRate`. Warnings are dropped; use
    /// `decodeWithReport` to see them.
    public func decode(contentsOf url: URL, targetSampleRate: Int = 16_000) throws -> AudioBuffer {
        try decodeWithReport(contentsOf: url, targetSampleRate: targetSampleRate).audio
    }

    /// The whole file plus its header and what the decoder had to forgive.
    public func decodeWithReport(contentsOf url: URL, targetSampleRate: Int = 16_000) throws -> DecodedAudio {
        try decodeWhole(url: url, data: nil, targetSampleRate: targetSampleRate)
    }

    /// Audio bytes already in memory (an upload, a fuzzer's input), decoded as a file with these bytes
    /// would be; `name` stands for the file in errors and warnings.
    public func decodeWithReport(data: Data, name: String, targetSampleRate: Int = 16_000) throws -> DecodedAudio {
        try decodeWhole(url: URL(fileURLWithPath: name), data: data, targetSampleRate: targetSampleRate)
    }

    private func decodeWhole(url: URL, data: Data?, targetSampleRate: Int) throws -> DecodedAudio {
        var samples: [Float] = []
        let report = try decodeStream(url: url, data: data, targetSampleRate: targetSampleRate) { info in
            let expected = Double(info.frames ?? 0) * Double(targetSampleRate) / Double(info.sampleRate) + 16
            samples.reserveCapacity(Int(min(expected, Double(Self.maximumReservation))))
        } emit: { block in
            samples.append(contentsOf: block)
        }
        return DecodedAudio(
            audio: AudioBuffer(sampleRate: targetSampleRate, samples: samples), info: report.info,
            warnings: report.warnings)
    }

    /// Decodes in consecutive chunks of `chunkSeconds` (the last one shorter), handing each to `body`
    /// as soon as it is complete, so a 3-hour file never sits in memory. Concatenated, the chunks equal
    /// `decode(contentsOf:targetSampleRate:)`. An error thrown by `body` stops the decode and is rethrown.
    @discardableResult
    public func decodeChunks(
        contentsOf url: URL, targetSampleRate: Int = 16_000, chunkSeconds: Double = 30,
        _ body: (AudioBuffer) throws -> Void
    ) throws -> AudioDecodeReport {
        let chunkLength = (chunkSeconds * Double(targetSampleRate)).rounded()
        guard chunkSeconds.isFinite, chunkLength >= 1, chunkLength < Double(Int32.max) else {
            throw AudioDecodingError.invalidChunkDuration(url, chunkSeconds)
        }
        let chunkSamples = Int(chunkLength)
        var chunk: [Float] = []
        var report = try decodeStream(url: url, data: nil, targetSampleRate: targetSampleRate) { _ in
            chunk.reserveCapacity(min(chunkSamples, Self.maximumReservation))
        } emit: { block in
            var start = 0
            while start < block.count {
                let take = min(chunkSamples - chunk.count, block.count - start)
                chunk.append(contentsOf: UnsafeBufferPointer(rebasing: block[start..<(start + take)]))
                start += take
                if chunk.count == chunkSamples {
                    try body(AudioBuffer(sampleRate: targetSampleRate, samples: chunk))
                    chunk.removeAll(keepingCapacity: true)
                }
            }
        }
        if !chunk.isEmpty {
            try body(AudioBuffer(sampleRate: targetSampleRate, samples: chunk))
            report.chunkCount += 1
        }
        report.chunkCount += report.outputFrames / chunkSamples
        return report
    }

    static func validate(_ info: AudioInfo, url: URL) throws {
        guard supportedChannelCounts.contains(info.channels) else {
            throw AudioDecodingError.unsupportedChannelCount(url, info.channels)
        }
        guard supportedSampleRates.contains(info.sampleRate) else {
            throw AudioDecodingError.unsupportedSampleRate(url, info.sampleRate)
        }
    }
}

/// A whole-file decode: the samples, the header they came from and any warnings.
public struct DecodedAudio: Sendable, Equatable {
    public let audio: AudioBuffer
    public let info: AudioInfo
    public let warnings: [AudioDecodingWarning]
}

/// What a streaming decode read: the header, how many output samples and chunks it produced, and
/// any warnings.
public struct AudioDecodeReport: Sendable, Equatable {
    public let info: AudioInfo
    public internal(set) var outputFrames: Int
    public internal(set) var chunkCount: Int
    public let warnings: [AudioDecodingWarning]
}
