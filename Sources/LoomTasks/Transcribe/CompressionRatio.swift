#if canImport(Glibc)
import LoomCheck
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// whisper's `compression_ratio(text)`: UTF-8 bytes / zlib-compressed bytes at zlib's default level
/// (https://github.com/openai/whisper/blob/main/whisper/utils.py). Repetitive hallucinations compress
/// well, so a ratio above 2.4 triggers a temperature fallback.
///
/// zlib is loaded at run time with `dlopen` (libz.so.1 is part of every Linux base system) because
/// Foundation on Linux exposes no DEFLATE API and the package links no zlib module. The same zlib
/// `compress` that Python's `zlib.compress` calls gives byte-identical output, hence identical ratios.
public struct ZlibCompressionRatio: @unchecked Sendable {
    // C function pointers capture nothing; the library stays loaded for the process's life.
    private typealias Compress = @convention(c) (
        UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?, UnsafePointer<UInt8>?, UInt) -> Int32
    private typealias CompressBound = @convention(c) (UInt) -> UInt
    private let compress: Compress
    private let compressBound: CompressBound

    public init() throws {
        #if canImport(Darwin)
        let names = ["libz.1.dylib", "libz.dylib"]
        #else
        let names = ["libz.so.1", "libz.so"]
        #endif
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW) }).first else {
            throw WhisperDecodingError.zlibUnavailable("dlopen(\(names.joined(separator: ", "))) failed")
        }
        guard let compress = dlsym(handle, "compress"), let bound = dlsym(handle, "compressBound") else {
            throw WhisperDecodingError.zlibUnavailable("the loaded zlib has no compress/compressBound")
        }
        self.compress = unsafeBitCast(compress, to: Compress.self)
        self.compressBound = unsafeBitCast(bound, to: CompressBound.self)
    }

    /// Size of zlib's output for `bytes` (header and checksum included, like `zlib.compress`).
    public func compressedSize(_ bytes: [UInt8]) -> Int {
        var capacity = compressBound(UInt(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = bytes.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                compress(destination.baseAddress, &capacity, source.baseAddress ?? UnsafePointer(destination.baseAddress), UInt(bytes.count))
            }
        }
        // compressBound guarantees room, and memory errors would have failed the allocation above.
        require(status == 0, "zlib compress failed with status \(status)")
        return Int(capacity)
    }

    /// `len(text.encode("utf-8")) / len(zlib.compress(...))`; 0 for empty text, as in whisper.
    public func ratio(_ text: String) -> Double {
        let bytes = Array(text.utf8)
        return Double(bytes.count) / Double(compressedSize(bytes))
    }
}
