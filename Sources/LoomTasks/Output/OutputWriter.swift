import Foundation
import LoomMedia
import LoomModelStore

/// The one way Loom writes a result file, for every command and pipeline step.
///
/// A batch tool that can replace a user's file must not exist, so the writer refuses two things:
/// - writing over an input of the run (even with `--overwrite`);
/// - writing over an existing file that Loom did not write, unless the user said `--overwrite`.
///
/// What Loom wrote is recorded in a ledger in each folder it writes into, `.loom-outputs`: one JSON
/// line per file written, with the SHA-256 of the content and the kind of run that wrote it. An
/// existing file counts as Loom's own only when the ledger names it, for the same kind of run, with
/// the content it has now: a file the user edited since is theirs again.
///
/// Writes are whole-or-nothing (a temporary file renamed over the target), so a killed run leaves the
/// old content or the new, never a part. Files are named through `FileSystemPath`, so the outputs of
/// an input whose name is not UTF-8 keep its bytes. Temporary names carry the process id, so two runs never
/// share one; leftovers of killed runs are removed the first time a folder is written into.
public final class OutputWriter: @unchecked Sendable {
    /// Why a file was not written; the message names the file and what to do.
    public enum Refusal: Error, CustomStringConvertible, Equatable, Sendable {
        case isInput(String)
        case notWrittenByLoom(String)
        case changedSinceWritten(String)

        public var path: String {
            switch self {
            case .isInput(let path), .notWrittenByLoom(let path), .changedSinceWritten(let path): return path
            }
        }

        public var description: String {
            switch self {
            case .isInput(let path):
                return "\(path) is an input of this run; Loom never writes a result over an input (choose another output folder, name or format)"
            case .notWrittenByLoom(let path):
                return "\(path) already exists and Loom did not write it; it is kept as it is (--overwrite replaces it)"
            case .changedSinceWritten(let path):
                return "\(path) was changed since Loom wrote it; it is kept as it is (--overwrite replaces it)"
            }
        }
    }

    /// What writing to a path would do.
    public enum Status: Equatable, Sendable {
        case absent
        /// Written by this kind of run and unchanged since (or `--overwrite` was given).
        case replaceable
        case refused(Refusal)
    }

    /// The ledger's file name in each folder Loom writes into.
    public static let ledgerName = ".loom-outputs"

    /// Which kind of run writes ("transcribe", "caption", "run"): a file counts as Loom's own only
    /// for the kind of run that wrote it.
    public let kind: String
    public let overwrite: Bool
    private let lock = NSLock()
    private var inputs: Set<String> = []
    private var ledgers: [String: Ledger] = [:]
    private let leftovers = LeftoverSweeper()

    public init(kind: String, overwrite: Bool, inputs: [URL] = []) {
        self.kind = kind
        self.overwrite = overwrite
        protect(inputs)
    }

    /// Adds inputs of the run: files never to be written over.
    public func protect<Inputs: Sequence>(_ urls: Inputs) where Inputs.Element == URL {
        let paths = urls.map { Self.resolved($0) }
        lock.lock()
        inputs.formUnion(paths)
        lock.unlock()
    }

    public func status(of url: URL) -> Status {
        let path = Self.resolved(url)
        lock.lock()
        let isInput = inputs.contains(path)
        lock.unlock()
        if isInput { return .refused(.isInput(url.path)) }
        if url.lastPathComponent == Self.ledgerName { return .refused(.notWrittenByLoom(url.path)) }
        var info = stat()
        guard FileSystemPath.withCString(url.path, { lstat($0, &info) }) == 0 else { return .absent }
        if overwrite { return .replaceable }
        guard (info.st_mode & S_IFMT) == S_IFREG, let recorded = ledger(for: url).entry(url.lastPathComponent), recorded.by == kind else {
            return .refused(.notWrittenByLoom(url.path))
        }
        guard let current = try? SHA256.hex(reading: InputFile.open(url)), current == recorded.sha256 else {
            return .refused(.changedSinceWritten(url.path))
        }
        return .replaceable
    }

    /// The part of a run's closing line that counts refused files ("" when none).
    public static func refusalSummary(_ count: Int) -> String {
        count == 0 ? "" : ", \(count) output file\(count == 1 ? "" : "s") refused (kept as they are; --overwrite replaces files Loom did not write)"
    }

    /// One input's outputs, checked before its work starts.
    public struct Check: Sendable {
        /// Every output exists and is Loom's own from an earlier run: the item is finished.
        public let finished: Bool
        /// What to write; empty when nothing is missing (or every output is refused): no work then.
        public let writable: [URL]
        public let refused: [Refusal]
    }

    /// Sorts `outputs` into those to write and those refused. The work is done when an output is
    /// missing (Loom's own are then written again with it) or with `--overwrite`.
    public func check(_ outputs: [URL]) -> Check {
        var missing: [URL] = [], own: [URL] = [], refused: [Refusal] = []
        for url in outputs {
            switch status(of: url) {
            case .absent: missing.append(url)
            case .replaceable: own.append(url)
            case .refused(let refusal): refused.append(refusal)
            }
        }
        let needsWork = overwrite || !missing.isEmpty
        return Check(finished: !needsWork && refused.isEmpty && !own.isEmpty,
                     writable: needsWork ? outputs.filter { missing.contains($0) || own.contains($0) } : [], refused: refused)
    }

    /// Writes `data` to `url` unless refused (throws the `Refusal`), and records it in the ledger.
    public func write(_ data: Data, to url: URL) throws {
        if case .refused(let refusal) = status(of: url) { throw refusal }
        try AtomicFile.write(data, to: url, leftovers: leftovers)
        try ledger(for: url).record(url.lastPathComponent, sha256: SHA256.hex(of: data), by: kind)
    }

    public func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// A temporary file for content streamed over a long run (the pipeline's manifest); hand it to
    /// `commit` at the end.
    public func temporaryFile(for url: URL) throws -> URL {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        leftovers.sweepOnce(folder)
        return AtomicFile.temporary(for: url)
    }

    /// Renames a finished temporary file over `url` unless refused, and records it.
    public func commit(_ temporary: URL, to url: URL) throws {
        if case .refused(let refusal) = status(of: url) {
            try? FileManager.default.removeItem(at: temporary)
            throw refusal
        }
        try AtomicFile.rename(temporary, to: url)
        try ledger(for: url).record(url.lastPathComponent, sha256: SHA256.hex(reading: InputFile.open(url)), by: kind)
    }

    private func ledger(for url: URL) -> Ledger {
        let folder = url.deletingLastPathComponent().standardizedFileURL.path
        lock.lock()
        defer { lock.unlock() }
        if let ledger = ledgers[folder] { return ledger }
        let ledger = Ledger(url: URL(fileURLWithPath: folder).appendingPathComponent(Self.ledgerName))
        ledgers[folder] = ledger
        return ledger
    }

    /// The path with symbolic links and `..` resolved (of the folder, when the file does not exist),
    /// so that no spelling of an input's path gets past the check.
    static func resolved(_ url: URL) -> String {
        func real(_ path: String) -> String? {
            guard let resolved = FileSystemPath.withCString(path, { realpath($0, nil) }) else { return nil }
            defer { free(resolved) }
            return FileSystemPath.string(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
        }
        let path = url.standardizedFileURL.path
        if let resolved = real(path) { return resolved }
        let folder = (path as NSString).deletingLastPathComponent
        guard let resolved = real(folder) else { return path }
        return (resolved as NSString).appendingPathComponent((path as NSString).lastPathComponent)
    }
}

/// One folder's `.loom-outputs`: JSON lines appended under an exclusive lock (several processes may
/// write into one folder), the last line for a name winning. Re-read whenever its size changed, so
/// another process's writes are seen. A file written again with the same content adds no line, and
/// a ledger of mostly stale lines is rewritten with one line per file.
private final class Ledger: @unchecked Sendable {
    struct Entry: Codable {
        var file: String
        var sha256: String
        var by: String
    }

    let url: URL
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var lines = 0
    private var loadedSize: Int64 = -1

    init(url: URL) { self.url = url }

    func entry(_ name: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        reloadIfChanged()
        return entries[name]
    }

    func record(_ name: String, sha256: String, by kind: String) throws {
        let entry = Entry(file: name, sha256: sha256, by: kind)
        var line = try JSONEncoder().encode(entry)
        line.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        let descriptor = FileSystemPath.withCString(url.path) { open($0, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644) }
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path,
                NSLocalizedDescriptionKey: "cannot record the output in \(url.path): \(String(cString: strerror(errno)))"])
        }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        reloadIfChanged()
        if let known = entries[name], known.sha256 == sha256, known.by == kind { return }
        let written = line.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                NSLocalizedDescriptionKey: "cannot record the output in \(url.path): \(String(cString: strerror(errno)))"])
        }
        // Under the lock the file was as loaded, so it is now as loaded plus this line.
        entries[name] = entry
        lines += 1
        loadedSize += Int64(line.count)
        if lines > 2 * entries.count + 64 { compact(descriptor) }
    }

    /// Rewrites the ledger in place with one line per file. The caller holds the lock on
    /// `descriptor`; in place, not renamed, so other processes waiting for the lock append to it.
    private func compact(_ descriptor: Int32) {
        var data = Data()
        for entry in entries.values.sorted(by: { $0.file < $1.file }) {
            guard let line = try? JSONEncoder().encode(entry) else { continue }
            data.append(line)
            data.append(0x0A)
        }
        guard ftruncate(descriptor, 0) == 0 else { return }
        let written = data.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        lines = entries.count
        loadedSize = Int64(max(written, 0))
    }

    private func reloadIfChanged() {
        var info = stat()
        let size = stat(url.path, &info) == 0 ? Int64(info.st_size) : 0
        guard size != loadedSize else { return }
        loadedSize = size
        entries = [:]
        lines = 0
        guard size > 0, let data = FileManager.default.contents(atPath: url.path) else { return }
        let decoder = JSONDecoder()
        for line in data.split(separator: 0x0A) {
            lines += 1
            // A torn or foreign line names nothing: its file then counts as not Loom's, the safe side.
            if let entry = try? decoder.decode(Entry.self, from: line) { entries[entry.file] = entry }
        }
    }
}

/// Whole-or-nothing file writes: a temporary file in the same folder, renamed over the target.
/// Loom's own state (the pipeline cache) uses it directly; results go through `OutputWriter`.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL, leftovers: LeftoverSweeper? = nil) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        leftovers?.sweepOnce(folder)
        let temporary = temporary(for: url)
        let descriptor = FileSystemPath.withCString(temporary.path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard descriptor >= 0 else { throw failure("could not write \(DisplayPath.escaping(url.path))", url) }
        var written = 0
        data.withUnsafeBytes { bytes in
            while written < bytes.count {
                let count = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if count <= 0 { break }
                written += count
            }
        }
        let error = failure("could not write \(DisplayPath.escaping(url.path))", url)
        close(descriptor)
        guard written == data.count else {
            _ = FileSystemPath.withCString(temporary.path) { unlink($0) }
            throw error
        }
        try rename(temporary, to: url)
    }

    /// A write error with the system's reason (read before anything else changes errno).
    static func failure(_ message: String, _ url: URL) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                   NSLocalizedDescriptionKey: "\(message): \(String(cString: strerror(errno)))"])
    }

    /// `.NAME.loom-PID.tmp` beside `url`: a process's own, so concurrent runs never collide.
    static func temporary(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).loom-\(getpid()).tmp")
    }

    static func rename(_ temporary: URL, to url: URL) throws {
        let renamed = FileSystemPath.withCString(temporary.path) { from in
            FileSystemPath.withCString(url.path) { to in Foundation.rename(from, to) }
        }
        if renamed != 0 {
            let error = failure("could not write \(DisplayPath.escaping(url.path))", url)
            _ = FileSystemPath.withCString(temporary.path) { unlink($0) }
            throw error
        }
    }

    /// Removes `.NAME.loom-PID.tmp` files whose process is gone (and the fixed `.NAME.loom-tmp` of
    /// earlier versions).
    public static func removeLeftovers(in folder: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(".") && (name.hasSuffix(".tmp") || name.hasSuffix(".loom-tmp")) {
            if name.hasSuffix(".loom-tmp") {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
                continue
            }
            guard let marker = name.range(of: ".loom-", options: .backwards),
                  let pid = Int32(name[marker.upperBound...].dropLast(4)) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}

/// Removes the temporary files of killed runs from each folder a run writes into, once per folder.
public final class LeftoverSweeper: @unchecked Sendable {
    private let lock = NSLock()
    private var swept: Set<String> = []

    public init() {}

    public func sweepOnce(_ folder: URL) {
        lock.lock()
        let first = swept.insert(folder.standardizedFileURL.path).inserted
        lock.unlock()
        if first { AtomicFile.removeLeftovers(in: folder) }
    }
}
