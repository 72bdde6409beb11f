/// What a file's header says, read without decoding the audio (`AudioDecoder.probe`).
public struct AudioInfo: Sendable, Equatable {
    /// The container, as libsndfile names it, e.g. "WAV (Microsoft)", "FLAC (Free Lossless Audio Codec)".
    public let formatName: String
    /// The sample encoding, e.g. "Signed 16 bit PCM", "Vorbis", "Opus", "MPEG Layer III".
    public let encodingName: String
    public let channels: Int
    public let sampleRate: Int
    /// Frames (samples per channel) the header declares; nil when it does not say (a FLAC encoded from
    /// a pipe). For WAV libsndfile already trims this to the bytes present; for MP3 without a Xing/LAME
    /// tag it is an estimate from the file size.
    public let frames: Int?

    public init(formatName: String, encodingName: String, channels: Int, sampleRate: Int, frames: Int?) {
        self.formatName = formatName
        self.encodingName = encodingName
        self.channels = channels
        self.sampleRate = sampleRate
        self.frames = frames
    }

    /// Seconds, from the header; nil when the header does not give the length.
    public var duration: Double? { frames.map { Double($0) / Double(sampleRate) } }
}
