import Foundation

/// Paths as Loom prints them, in progress lines, errors and reports. A file name can hold any byte
/// but `/` and NUL: printed raw, a newline in a name would forge a log line and an ESC would drive
/// the terminal. So control characters and bytes that are not UTF-8 are shown escaped
/// (`new\nline.wav`, `\x1B[31m.png`, `caf\xE9.wav`), and everything else as typed.
public enum DisplayPath {
    /// `url`'s path relative to the working directory when it lies below it (as users typed it), escaped.
    public static func of(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let path = url.path
        return escaping(path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path)
    }

    /// `path` with control characters, bidirectional-override characters and bytes that are not
    /// UTF-8 (see `FileSystemPath`) written as escapes.
    public static func escaping(_ path: String) -> String {
        guard path.unicodeScalars.contains(where: needsEscape) else { return path }
        var shown = ""
        for scalar in path.unicodeScalars {
            switch scalar.value {
            case FileSystemPath.escapes: shown += hex(scalar.value - 0xEF00)
            case 0x0A: shown += "\\n"
            case 0x0D: shown += "\\r"
            case 0x09: shown += "\\t"
            case 0x00..<0x20, 0x7F: shown += hex(scalar.value)
            case _ where needsEscape(scalar): shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        // C0 controls, DEL and C1 controls; LRE...RLO and LRI...PDI reorder the rest of the line.
        case 0x00..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, FileSystemPath.escapes: true
        default: false
        }
    }

    static func hex(_ byte: UInt32) -> String {
        "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }
}
