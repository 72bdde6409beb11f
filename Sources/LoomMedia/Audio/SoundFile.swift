import CLoomAudio
import Foundation

/// An open libsndfile handle for reading a file or bytes in memory
/// (https://libsndfile.github.io/libsndfile/api.html).
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

    /// The open file libsndfile reads from (kept open while `handle` is), or the bytes behind the
    /// handle when the audio is in memory (libsndfile reads them through callbacks).
    private let file: FileHandle?
    private let memory: MemoryAudio?

    /// Opens `url` after the checks libsndfile would answer less clearly (missing, folder, empty),
    /// through `InputFile`, which refuses FIFOs and devices before opening them.
    convenience init(url: URL) throws {
        let file: FileHandle
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
        let descriptor = file.fileDescriptor
        // SF_FALSE: the descriptor is `file`'s to close.
        try self.init(url: url, file: file, memory: nil) { sf_open_fd(descriptor, Int32(SFM_READ), &$0, Int32(SF_FALSE)) }
    }

    /// Opens audio bytes already in memory through libsndfile's virtual I/O; `url` names them in
    /// errors. The format comes from the bytes, as it does for a file.
    convenience init(data: Data, url: URL) throws {
        guard !data.isEmpty else { throw AudioDecodingError.emptyFile(url) }
        let memory = MemoryAudio(data)
        try self.init(url: url, file: nil, memory: memory) { sfInfo in
            var callbacks = MemoryAudio.callbacks  // libsndfile copies the table; `memory` must outlive the handle
            return sf_open_virtual(&callbacks, Int32(SFM_READ), &sfInfo, Unmanaged.passUnretained(memory).toOpaque())
        }
    }

    /// `open` calls sf_open_fd or sf_open_virtual with the SF_INFO to fill, returning the handle or nil.
    private init(url: URL, file: FileHandle?, memory: MemoryAudio?, open: (inout SF_INFO) -> OpaquePointer?) throws {
        self.url = url
        self.file = file
        self.memory = memory
        var sfInfo = SF_INFO()
        let openResult: Result<OpaquePointer, AudioDecodingError> = Self.openLock.withLock {
            guard let pointer = open(&sfInfo) else {
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

/// Audio bytes in memory behind libsndfile's virtual I/O callbacks, read like a read-only file:
/// seeking past the end is allowed and reads there return nothing.
private final class MemoryAudio {
    let bytes: [UInt8]
    var position: Int64 = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    /// The callback table for sf_open_virtual; its user data is an unretained MemoryAudio.
    static var callbacks: SF_VIRTUAL_IO {
        SF_VIRTUAL_IO(
            get_filelen: { Int64(MemoryAudio.from($0).bytes.count) },
            seek: { offset, whence, user in MemoryAudio.from(user).seek(offset, whence: whence) },
            read: { buffer, count, user in MemoryAudio.from(user).read(into: buffer, count: count) },
            write: { _, _, _ in 0 },
            tell: { MemoryAudio.from($0).position })
    }

    private static func from(_ user: UnsafeMutableRawPointer?) -> MemoryAudio {
        Unmanaged<MemoryAudio>.fromOpaque(user!).takeUnretainedValue()
    }

    /// lseek's rules: SEEK_SET, SEEK_CUR or SEEK_END plus `offset`; a negative or overflowing target is
    /// an error (-1) that leaves the position unchanged.
    private func seek(_ offset: sf_count_t, whence: Int32) -> sf_count_t {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = Int64(bytes.count)
        default: return -1
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { return -1 }
        position = target
        return target
    }

    private func read(into buffer: UnsafeMutableRawPointer?, count: sf_count_t) -> sf_count_t {
        guard let buffer, count > 0, position < Int64(bytes.count) else { return 0 }
        let length = min(count, Int64(bytes.count) - position)
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: source.baseAddress! + Int(position), byteCount: Int(length))
        }
        position += length
        return length
    }
}
