import Foundation

/// Why an audio file could not be decoded. Every case names the file and says what to do about it.
public enum AudioDecodingError: Error, Equatable, Sendable {
    case fileNotFound(URL)
    case notARegularFile(URL)
    case unreadable(URL, reason: String)
    /// The file has zero bytes.
    case emptyFile(URL)
    /// A valid header that declares no audio frames (or a stream that decoded to nothing).
    case noAudio(URL)
    /// libsndfile could not open it: not an audio format it knows, or a damaged header.
    case unsupportedOrCorrupt(URL, libraryMessage: String)
    /// Decoding stopped with an error before any audio came out.
    case readFailed(URL, libraryMessage: String)
    /// The header says more audio than the file holds, and the decoder was told to fail on that.
    case truncated(URL, expectedFrames: Int, decodedFrames: Int)
    case unsupportedSampleRate(URL, Int)
    case unsupportedChannelCount(URL, Int)
    case invalidTargetSampleRate(URL, Int)
    case invalidChunkDuration(URL, Double)
    case resamplerFailed(URL, message: String)

    /// The file the error is about.
    public var url: URL {
        switch self {
        case .fileNotFound(let url), .notARegularFile(let url), .unreadable(let url, _), .emptyFile(let url),
             .noAudio(let url), .unsupportedOrCorrupt(let url, _), .readFailed(let url, _),
             .truncated(let url, _, _), .unsupportedSampleRate(let url, _), .unsupportedChannelCount(let url, _),
             .invalidTargetSampleRate(let url, _), .invalidChunkDuration(let url, _), .resamplerFailed(let url, _):
            return url
        }
    }
}

extension AudioDecodingError: CustomStringConvertible, LocalizedError {
    static let convertHint = "convert it with `ffmpeg -i INPUT -ar 16000 -ac 1 OUTPUT.wav` or `sox INPUT -r 16000 -c 1 OUTPUT.wav`"
    static let supportedFormats = "WAV (8/16/24/32-bit PCM, 32/64-bit float), FLAC, OGG Vorbis, Opus, MP3, AIFF, CAF, W64, RF64"

    public var description: String {
        let path = DisplayPath.escaping(url.path)
        switch self {
        case .fileNotFound:
            return "\(path): no such file"
        case .notARegularFile:
            return "\(path): not a regular file (a folder or device?); give the path of an audio file"
        case .unreadable(_, let reason):
            return "\(path): cannot be read (\(reason)); check its permissions"
        case .emptyFile:
            return "\(path): the file is empty (0 bytes); it holds no audio"
        case .noAudio:
            return "\(path): the audio header is valid but holds no audio frames"
        case .unsupportedOrCorrupt(_, let message):
            return "\(path): not a supported audio file or its header is damaged (libsndfile: \(message)). "
                + "Supported: \(Self.supportedFormats); \(Self.convertHint)"
        case .readFailed(_, let message):
            return "\(path): decoding failed before any audio came out (libsndfile: \(message)); "
                + "the file may be damaged: \(Self.convertHint)"
        case .truncated(_, let expected, let decoded):
            return "\(path): truncated: the header promises \(expected) frames but only \(decoded) could be decoded"
        case .unsupportedSampleRate(_, let rate):
            return "\(path): sample rate \(rate) Hz is outside \(AudioDecoder.supportedSampleRates) Hz; "
                + "the header is probably damaged: \(Self.convertHint)"
        case .unsupportedChannelCount(_, let channels):
            return "\(path): \(channels) channels is outside \(AudioDecoder.supportedChannelCounts); "
                + "the header is probably damaged: \(Self.convertHint)"
        case .invalidTargetSampleRate(_, let rate):
            return "\(path): cannot resample to \(rate) Hz; the target must be in \(AudioDecoder.supportedSampleRates) Hz"
        case .invalidChunkDuration(_, let seconds):
            return "\(path): chunk duration \(seconds) s is not a positive length of at least one sample"
        case .resamplerFailed(_, let message):
            return "\(path): resampling failed (libsoxr: \(message))"
        }
    }

    public var errorDescription: String? { description }
}

/// Something a decode survived but the caller should hear about (a batch logs these beside the result).
public enum AudioDecodingWarning: Equatable, Sendable, CustomStringConvertible {
    /// The header promised more frames than could be decoded; the decoded part was kept, the way
    /// ffmpeg and faster-whisper keep what they can read.
    case truncated(URL, expectedFrames: Int, decodedFrames: Int)
    /// NaN or infinite samples (possible only in float files) were replaced by silence.
    case nonFiniteSamplesReplaced(URL, count: Int)

    public var description: String {
        switch self {
        case .truncated(let url, let expected, let decoded):
            return "\(DisplayPath.escaping(url.path)): truncated: the header promises \(expected) frames, decoded the \(decoded) "
                + "that are there"
        case .nonFiniteSamplesReplaced(let url, let count):
            return "\(DisplayPath.escaping(url.path)): \(count) NaN or infinite samples replaced by 0"
        }
    }
}
