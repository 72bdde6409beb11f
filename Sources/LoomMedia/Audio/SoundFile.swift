import CLoomAudio
import Foundation

/// An open libsndfile handle for reading (https://libsndfile.github.io/libsndfile/api.html).
/// Closed on deinit, so an error thrown half way through a decode never leaks it.
final class SoundFile {
    let url: URL
    let info: AudioInfo
    private let handle: OpaquePointer
    private let formatMajor: Int32
    private let formatSubtype: Int32

    /// sf_open reports failure through a process-wide error slot read by sf_strerror(NULL); the lock
    /// keeps two threads opening files at once from reading each other's message.
    private static let openLock = NSLock()

    /// The open file libsndfile reads from; kept open while `handle` is.
    private let file: FileHandle

    /// Opens `url` after the checks libsndfile would answer less clearly (missing, folder, empty),
    /// through `InputFile`, which refuses FIFOs and devices before opening them.
    init(url: URL) throws {
        self.url = url
        do {
            file = try InputFile.open(url)
        } catch {
            switch error {
            case .noSuchFile: throw AudioDecodingError.fileNotFound(url)
            case .folder, .notARegularFile: throw AudioDecodingError.notARegularFile(url)
            case .unreadable(_, let reason): throw AudioDecodingError.unreadable(url, reason: reason)
            }
        }
        if InputFile.status(url)?.size == 0 { throw AudioDecodingError.emptyFile(url) }

        var sfInfo = SF_INFO()
        let descriptor = file.fileDescriptor
        let openResult: Result<OpaquePointer, AudioDecodingError> = Self.openLock.withLock {
            // SF_FALSE: the descriptor is `file`'s to close.
            guard let pointer = sf_open_fd(descriptor, Int32(SFM_READ), &sfInfo, Int32(SF_FALSE)) else {
                let message = String(cString: sf_strerror(nil))
                return .failure(.unsupportedOrCorrupt(url, libraryMessage: message))
            }
            return .success(pointer)
        }
        let opened = try openResult.get()
        handle = opened
        formatMajor = sfInfo.format & Int32(SF_FORMAT_TYPEMASK)
        formatSubtype = sfInfo.format & Int32(SF_FORMAT_SUBMASK)
        info = AudioInfo(
            formatName: Self.formatName(handle: opened, format: formatMajor),
            encodingName: Self.formatName(handle: opened, format: formatSubtype),
            channels: Int(sfInfo.channels), sampleRate: Int(sfInfo.samplerate),
            frames: sfInfo.frames == sf_count_t.max ? nil : Int(sfInfo.frames))
    }

    deinit { sf_close(handle) }

    /// Reads up to `frames` interleaved frames into `buffer` (which holds frames * channels floats);
    /// integer formats come back scaled to [-1, 1) (int16 / 32768), float formats as stored.
    func readFrames(into buffer: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        Int(sf_readf_float(handle, buffer, sf_count_t(frames)))
    }

    /// libsndfile's message when the last read stopped on an error, else nil.
    var readError: String? {
        sf_error(handle) == 0 ? nil : String(cString: sf_strerror(handle))
    }

    /// Lossy codecs (Vorbis, Opus, MPEG) may legitimately decode a little off the header's frame count.
    var isLossy: Bool {
        let lossy = [SF_FORMAT_VORBIS, SF_FORMAT_OPUS, SF_FORMAT_MPEG_LAYER_I, SF_FORMAT_MPEG_LAYER_II,
                     SF_FORMAT_MPEG_LAYER_III].map { Int32($0) }
        return lossy.contains(formatSubtype) || formatMajor == Int32(SF_FORMAT_MPEG)
    }

    /// The frame count a WAV-family header declared before libsndfile trimmed it to the bytes present.
    /// libsndfile logs "data : 128000 (should be 16000)" for such a file; nil when it logged no such line
    /// or the declared size is a placeholder that a writer on a pipe puts there (sox: 0x7FFFF000,
    /// ffmpeg: 0xFFFFFFFF); sizes from 0x7FFF0000 up count as placeholders.
    func declaredFramesBeforeTrimming() -> Int? {
        var log = [CChar](repeating: 0, count: 8192)
        let count = sf_command(handle, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        guard count > 0 else { return nil }
        let text = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        for line in text.split(separator: "\n") where line.hasPrefix("data") && line.contains("should be") {
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            guard numbers.count == 2 else { continue }
            let (declared, present) = (numbers[0], numbers[1])
            guard declared > present, present > 0, declared < 0x7FFF_0000, let frames = info.frames, frames > 0
            else { continue }
            let bytesPerFrame = present / frames
            guard bytesPerFrame > 0 else { continue }
            return declared / bytesPerFrame
        }
        return nil
    }

    /// libsndfile's name for a major format or subtype code.
    private static func formatName(handle: OpaquePointer, format: Int32) -> String {
        var formatInfo = SF_FORMAT_INFO()
        formatInfo.format = format
        guard sf_command(handle, Int32(SFC_GET_FORMAT_INFO), &formatInfo, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
              let name = formatInfo.name
        else { return "unknown (0x\(String(format, radix: 16)))" }
        return String(cString: name)
    }
}
