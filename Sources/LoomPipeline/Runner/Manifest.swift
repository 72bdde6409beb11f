import Foundation
import LoomTasks

/// The JSONL manifest: one line per item in walk order, written to a temporary file during the run
/// and renamed at the end through the run's output writer. It is rebuilt from the items' (mostly cached) results on every run, never
/// appended to, so a killed and resumed run ends with exactly one line per item.
final class ManifestWriter: @unchecked Sendable {
    private let target: URL
    private let temporary: URL
    private let writer: OutputWriter
    private let handle: FileHandle
    private let base: URL
    private let stateFolder: URL
    private let steps: [String]
    private let lock = NSLock()
    /// Finished items waiting for an earlier one (bounded by the items in flight).
    private var pending: [Int: Data] = [:]
    private var nextIndex = 0

    init(target: URL, layout: OutputLayout, steps: [String], writer: OutputWriter) throws {
        self.target = target
        self.writer = writer
        temporary = try writer.temporaryFile(for: target)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary.path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "cannot write the manifest \(temporary.path)"])
        }
        self.handle = handle
        base = layout.base
        stateFolder = layout.stateFolder
        self.steps = steps
    }

    /// Adds item number `index` (0-based walk order); lines go out in order.
    func add(_ index: Int, _ outcome: ItemOutcome) {
        let line = self.line(outcome)
        lock.lock()
        defer { lock.unlock() }
        pending[index] = line
        while let next = pending.removeValue(forKey: nextIndex) {
            handle.write(next)
            nextIndex += 1
        }
    }

    /// An index that will never come (the run stopped early): later lines still go out.
    func skip(_ index: Int) {
        lock.lock()
        defer { lock.unlock() }
        pending[index] = Data()
        while let next = pending.removeValue(forKey: nextIndex) {
            handle.write(next)
            nextIndex += 1
        }
    }

    func finish() throws {
        try handle.synchronize()
        try handle.close()
        try writer.commit(temporary, to: target)
    }

    func line(_ outcome: ItemOutcome) -> Data {
        let item = outcome.item
        var object: [String: Any] = [
            "path": relative(item.url, to: base), "media": item.kind.rawValue, "sha256": item.contentHash,
            "status": outcome.failure == nil ? "ok" : "failed",
        ]
        if let failure = outcome.failure { object["error"] = failure.description }
        var results: [String: Any] = [:]
        for id in steps {
            switch outcome.states[id] {
            case .done(let artifact)?:
                switch artifact {
                case .media: continue
                case .transcript(let transcript):
                    results[id] = ["text": transcript.text.trimmingCharacters(in: .whitespaces), "segments": transcript.segments.count, "language": transcript.language]
                case .text(let text): results[id] = ["text": text]
                case .embeddings(let vectors):
                    let sources = vectors.map(\.source).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                    results[id] = ["sources": sources, "vectors": vectors.count, "dimension": vectors.first?.vector.count ?? 0]
                case .indexed(let key): results[id] = ["id": key]
                case .files(let paths): results[id] = ["files": paths.map { relative(URL(fileURLWithPath: $0), to: stateFolder) }]
                }
            case .unavailable?: results[id] = ["skipped": "not available"]
            default: continue
            }
        }
        object["steps"] = results
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        data.append(0x0A)
        return data
    }

    private func relative(_ url: URL, to folder: URL) -> String {
        let prefix = folder.standardizedFileURL.path + "/"
        return url.path.hasPrefix(prefix) ? String(url.path.dropFirst(prefix.count)) : url.path
    }
}
