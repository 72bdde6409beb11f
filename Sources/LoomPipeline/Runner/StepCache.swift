import Foundation
import LoomModelStore
import LoomTasks

/// Finished item-steps, one small JSON file each under `.loom-cache/`, named by a key made of the
/// file's content hash, the step kind, its parameters, its models and the keys of its needs. Files
/// are written to a temporary name and renamed, so after a kill a record is whole or absent.
public struct StepCache: Sendable {
    public let folder: URL
    private let leftovers = LeftoverSweeper()

    public init(folder: URL) { self.folder = folder }

    public static func key(_ parts: [String]) -> String {
        SHA256.hex(of: Array(parts.joined(separator: "\u{1F}").utf8))
    }

    func file(_ key: String) -> URL {
        folder.appendingPathComponent(String(key.prefix(2)), isDirectory: true).appendingPathComponent("\(key).json")
    }

    /// The stored result (`.some(nil)`: the step had nothing to do), or nil when absent or unreadable.
    func load(_ key: String) -> Artifact?? {
        guard let data = try? Data(contentsOf: file(key)),
              let record = try? JSONDecoder().decode(CachedArtifact.self, from: data) else { return nil }
        return .some(record.artifact)
    }

    func store(_ key: String, _ artifact: Artifact?, step: String, item: String) throws {
        var record = CachedArtifact(step: step, item: item)
        record.set(artifact)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(record), to: file(key), leftovers: leftovers)
    }
}

/// A step result as stored in the cache.
struct CachedArtifact: Codable {
    var step: String
    var item: String
    var kind: ArtifactKind?
    var transcript: Transcript?
    var text: String?
    var embeddings: [TextEmbedding]?
    var files: [String]?

    init(step: String, item: String) {
        self.step = step
        self.item = item
    }

    mutating func set(_ artifact: Artifact?) {
        kind = artifact?.kind
        switch artifact {
        case .transcript(let value): transcript = value
        case .text(let value), .indexed(let value): text = value
        case .embeddings(let value): embeddings = value
        case .files(let value): files = value
        case .media, .none: break
        }
    }

    var artifact: Artifact? {
        switch kind {
        case .transcript: return transcript.map(Artifact.transcript)
        case .text: return text.map(Artifact.text)
        case .indexed: return text.map(Artifact.indexed)
        case .embeddings: return embeddings.map(Artifact.embeddings)
        case .files: return files.map(Artifact.files)
        case .media, .none: return nil
        }
    }
}
