import Foundation

/// Files a hostile or careless user might hand Loom: names that are not UTF-8 or hold control
/// characters, FIFOs and devices. Made with raw system calls, since Foundation cannot name them.
public enum SpecialFiles {
    /// The Latin-1 name `café.wav` (é is the single byte 0xE9, not UTF-8).
    public static let latin1Name: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".wav".utf8)

    /// Creates `folder/name` from the name's raw bytes with `open(2)`, holding `contents`.
    public static func create(_ name: [UInt8], in folder: URL, contents: Data) throws {
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY | O_TRUNC, 0o644) }
        }
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == contents.count else { throw POSIXError(.EIO) }
    }

    /// The names in `folder` as raw bytes (what `ls` shows), read with `readdir`.
    public static func names(in folder: URL) -> [[UInt8]] {
        guard let directory = opendir(folder.path) else { return [] }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// A FIFO at `url`: opening it for reading waits for a writer, forever if none comes.
    public static func makeFIFO(_ url: URL) throws {
        guard mkfifo(url.path, 0o644) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// A symlink at `url` to `/dev/zero`, which reads zeros without end.
    public static func linkToDevZero(_ url: URL) throws {
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: "/dev/zero")
    }

    /// Runs `body` on its own thread and returns its result, or nil if it has not finished within
    /// `seconds`: a regression that hangs fails the test instead of hanging the suite.
    public static func finishing<Result: Sendable>(within seconds: Double, _ body: @escaping @Sendable () -> Result) -> Result? {
        let box = ResultBox<Result>()
        let done = DispatchSemaphore(value: 0)
        Thread {
            box.value = body()
            done.signal()
        }.start()
        return done.wait(timeout: .now() + seconds) == .success ? box.value : nil
    }
}

private final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}
