import Crypto
import Foundation

/// SHA-256, streaming: the model store checks wheels against the catalog's sums and Hub LFS files
/// against their announced sha256 with it. It wraps swift-crypto's (BoringSSL's assembly), which the
/// HTTP client already builds: a Hub pull hashes every byte as it arrives, so the hash must keep up
/// with a loopback download (Benchmarks/pull).
public struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    /// Adds bytes to the message.
    public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let done = bytes.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    /// Adds the bytes of a buffer without copying them.
    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: raw)
    }

    /// The 32-byte digest of everything added.
    public mutating func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }

    /// The lowercase hex digest of `data`.
    public static func hex<Bytes: Collection>(of data: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data)
        return hasher.finalize().hexString
    }

    /// The lowercase hex digest of a file, read in 4 MiB blocks.
    public static func hex(ofFile url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try hex(reading: handle)
    }

    /// The lowercase hex digest of what is left to read from `handle`, read in 4 MiB blocks.
    public static func hex(reading handle: FileHandle) throws -> String {
        var hasher = SHA256()
        while let block = try handle.read(upToCount: 4 << 20), !block.isEmpty { hasher.update(block) }
        return hasher.finalize().hexString
    }
}

extension [UInt8] {
    /// Lowercase hex, two digits a byte.
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
