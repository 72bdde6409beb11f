import Foundation

/// File names on Linux are bytes, not text. swift-corelibs-foundation decodes them as UTF-8 and turns
/// every byte that is not UTF-8 into U+FFFD: `contentsOfDirectory`, `enumerator`,
/// `URL(fileURLWithFileSystemRepresentation:)` and `CommandLine.arguments` all give `caf\u{FFFD}.wav`
/// for a Latin-1 `caf\xE9.wav`, which then names no file; a percent-escaped URL (`caf%E9.wav`) has an
/// empty `path`. So Loom keeps such bytes inside path strings as the private-use characters
/// U+EF80...U+EFFF (byte 0x80 + n is U+EF80 + n, the scheme of MirBSD's OPTU-8), which URLs carry
/// unchanged, and turns them back into the bytes at the system call (`withCString`).
///
/// The mapping is one-to-one on byte strings: a real U+EF80...U+EFFF character in a name is itself
/// kept as its three escaped bytes, so every name comes back exactly as it was.
public enum FileSystemPath {
    static let escapes: ClosedRange<UInt32> = 0xEF80...0xEFFF

    /// The path string for file-system bytes (a name from `readdir`, an argument from `argv`).
    public static func string<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let bytes = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var start = 0
        while start < bytes.count {
            // One scalar (or one run of bad bytes) at a time, so the bad bytes are at hand to escape.
            var parser = Unicode.UTF8.ForwardParser()
            var input = bytes[start...].makeIterator()
            let length: Int
            switch parser.parseScalar(from: &input) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                length = encoded.count
                if !escapes.contains(scalar.value) { scalars.append(scalar); start += length; continue }
            case .error(let bad):
                length = bad
            case .emptyInput:
                length = bytes.count - start
            }
            for byte in bytes[start..<(start + length)] { scalars.append(Unicode.Scalar(0xEF00 + UInt32(byte))!) }
            start += length
        }
        return String(scalars)
    }

    /// The file-system bytes of a path string (the inverse of `string`).
    public static func bytes(_ path: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count)
        for scalar in path.unicodeScalars {
            if escapes.contains(scalar.value) {
                bytes.append(UInt8(scalar.value - 0xEF00))
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return bytes
    }

    /// Calls `body` with the NUL-terminated file-system bytes of `path`, for `open`, `stat`, `opendir`.
    public static func withCString<Result>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        let bytes = Self.bytes(path) + [0]
        return try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// The program's arguments with their bytes kept (`CommandLine.arguments` replaces bytes that
    /// are not UTF-8, so a file named on the command line would not be found).
    public static var arguments: [String] {
        (0..<Int(CommandLine.argc)).map { index in
            guard let argument = CommandLine.unsafeArgv[index] else { return "" }
            return string(UnsafeRawBufferPointer(start: argument, count: strlen(argument)))
        }
    }
}
