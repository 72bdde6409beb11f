import Foundation

/// Why an input path cannot be read. Each names the path (escaped for printing) and what to do.
public enum FileAccessError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case noSuchFile(path: String)
    case folder(path: String)
    /// A FIFO, socket or device (or a symlink to one): reading it could block or never end.
    case notARegularFile(path: String)
    case unreadable(path: String, reason: String)

    public var path: String {
        switch self {
        case .noSuchFile(let path), .folder(let path), .notARegularFile(let path), .unreadable(let path, _): path
        }
    }

    /// What is wrong, without the path (for errors that put the path elsewhere).
    public var reason: String {
        switch self {
        case .noSuchFile: "no such file or folder"
        case .folder: "a folder, not a file"
        case .notARegularFile: "not a regular file (a FIFO, socket or device); give a file or a folder"
        case .unreadable(_, let reason): reason
        }
    }

    public var description: String { "\(DisplayPath.escaping(path)): \(reason)" }
    public var errorDescription: String? { description }
}

/// Opening input files safely: by their exact bytes (`FileSystemPath`), and only when they are
/// regular files, checked with `stat` before `open` so that a FIFO (whose `open` waits for a writer)
/// or `/dev/zero` (which never ends) is refused instead of hanging the run.
public enum InputFile {
    /// What a path is, following symlinks.
    public enum Kind: Sendable { case regularFile, folder, other }

    public struct Status: Sendable {
        public let kind: Kind
        public let size: Int64
        /// Seconds since 1970, computed as Foundation's `attributesOfItem` does (so stored times compare).
        public let modificationTime: Double
    }

    /// `stat` of `url` (following symlinks), or nil when nothing is there (a dangling symlink included).
    public static func status(_ url: URL) -> Status? { status(path: url.path) }

    public static func status(path: String) -> Status? {
        var info = stat()
        guard FileSystemPath.withCString(path, { stat($0, &info) }) == 0 else { return nil }
        let kind: Kind = switch info.st_mode & S_IFMT {
        case S_IFREG: .regularFile
        case S_IFDIR: .folder
        default: .other
        }
        let time = Date(timeIntervalSinceReferenceDate: Double(info.st_mtim.tv_sec) - Date.timeIntervalBetween1970AndReferenceDate
                        + Double(info.st_mtim.tv_nsec) / 1.0e9).timeIntervalSince1970
        return Status(kind: kind, size: Int64(info.st_size), modificationTime: time)
    }

    /// Whether something is at `path` (following symlinks).
    public static func exists(path: String) -> Bool { status(path: path) != nil }

    /// Opens a regular file for reading; the handle closes the file when released.
    public static func open(_ url: URL) throws(FileAccessError) -> FileHandle {
        let path = url.path
        guard let status = status(path: path) else { throw .noSuchFile(path: path) }
        switch status.kind {
        case .folder: throw .folder(path: path)
        case .other: throw .notARegularFile(path: path)
        case .regularFile: break
        }
        // O_NONBLOCK: should the path be swapped for a FIFO after the check, `open` still returns.
        let descriptor = FileSystemPath.withCString(path) { Glibc.open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard descriptor >= 0 else {
            let reason = errno == EACCES ? "permission denied" : String(cString: strerror(errno))
            throw .unreadable(path: path, reason: reason)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .notARegularFile(path: path)
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// The bytes of a regular file.
    public static func contents(_ url: URL) throws(FileAccessError) -> Data {
        let handle = try open(url)
        do { return try handle.readToEnd() ?? Data() } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
    }
}
