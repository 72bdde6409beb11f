#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file mapped read-only into memory. Every read is bounds-checked and throws a
/// `WeightFileError` naming the file and offset instead of touching memory past the end.
///
/// The mapping lives as long as this object; buffers handed out by `bytes(at:count:)` are valid only
/// while the `MappedFile` is alive (readers keep it as a stored property).
public final class MappedFile: @unchecked Sendable {  // immutable after init: the mapping is read-only
    public let path: String
    public let size: Int
    /// Start of the mapping; nil for an empty file (mmap refuses length 0).
    private let base: UnsafeRawPointer?

    public init(url: URL) throws {
        path = url.path
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw WeightFileError(file: url.path, .cannotOpen(reason: String(cString: strerror(errno))))
        }
        defer { close(fd) }  // the mapping keeps its own reference to the file
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WeightFileError(file: url.path, .cannotOpen(reason: String(cString: strerror(errno))))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw WeightFileError(file: url.path, .cannotOpen(reason: "not a regular file"))
        }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw WeightFileError(file: url.path, .cannotOpen(reason: "mmap failed: \(String(cString: strerror(errno)))"))
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// True when `count` bytes at `offset` lie inside the file (overflow-safe).
    public func contains(offset: Int, count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset <= size && count <= size - offset
    }

    /// The `count` bytes at `offset`, or a `.truncated` error.
    public func bytes(at offset: Int, count: Int) throws -> UnsafeRawBufferPointer {
        guard contains(offset: offset, count: count) else {
            throw WeightFileError(file: path, .truncated(offset: offset, count: count, fileSize: size))
        }
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: count)
    }

    /// A little-endian integer at any (unaligned) offset.
    public func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) throws -> T {
        let raw = try bytes(at: offset, count: MemoryLayout<T>.size)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    public func loadFloat32(at offset: Int) throws -> Float {
        Float(bitPattern: try load(UInt32.self, at: offset))
    }

    public func loadFloat64(at offset: Int) throws -> Double {
        Double(bitPattern: try load(UInt64.self, at: offset))
    }

    /// An error of `kind` about this file.
    func error(_ kind: WeightFileError.Kind) -> WeightFileError {
        WeightFileError(file: path, kind)
    }
}

/// A forward cursor over a `MappedFile` for parsing headers.
struct ByteCursor {
    let file: MappedFile
    var offset: Int

    init(_ file: MappedFile, at offset: Int = 0) {
        self.file = file
        self.offset = offset
    }

    var remaining: Int { max(0, file.size - offset) }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let value = try file.load(T.self, at: offset)
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        let raw = try file.bytes(at: offset, count: count)
        offset += count
        return raw
    }

    /// A count from the file as Int, refused when `count * minimumElementBytes` cannot fit in the rest
    /// of the file: no allocation is ever sized by an unchecked number from the file.
    func plausibleCount(_ count: UInt64, elementBytes: Int, what: String) throws -> Int {
        let limit = remaining / max(1, elementBytes)
        guard count <= UInt64(limit) else {
            throw file.error(.implausibleCount(what: what, count: count, limit: limit))
        }
        return Int(count)
    }

    /// `count` bytes decoded as UTF-8 (a `.malformedHeader` error when they are not).
    mutating func utf8String(count: Int, what: String) throws -> String {
        let raw = try bytes(count)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw file.error(.malformedHeader("\(what) is not valid UTF-8 (at offset \(offset - count))"))
        }
        return text
    }
}
