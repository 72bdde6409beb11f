import Foundation

/// What can go wrong with an index file or an indexing run; every case names the file and says
/// what to do.
public enum IndexError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// `search` (or another reader) was pointed at a path with no index.
    case missingIndex(path: String)
    /// The file was written by a newer Loom whose schema this one does not know.
    case newerSchema(path: String, fileVersion: Int, supportedVersion: Int)
    /// The file exists but is not a Loom index (another SQLite file, or not SQLite at all).
    case notAnIndex(path: String, reason: String)
    /// The index was built with another model than the one asked for; its vectors would not compare.
    case modelMismatch(path: String, role: String, indexed: String, requested: String)
    /// The index names a model for `role` that is not given and cannot be found.
    case modelUnavailable(path: String, role: String, reason: String)
    /// A caption or other text was given for a file that is not in the index.
    case notIndexed(path: String, index: String)
    /// The index (or its folder, or the disk) cannot be written, and the command writes to it.
    case readOnly(path: String)
    /// A time or vector of the file's content is NaN or infinite (a misbehaving model); such a value
    /// cannot be ranked or written as JSON, so nothing of the file is stored.
    case nonFinite(path: String, what: String)
    /// The database refused an operation (disk full, locked, I/O error).
    case database(path: String, reason: String)
    /// An embedder returned a vector of the wrong size or count.
    case badEmbedding(model: String, reason: String)

    public var description: String {
        switch self {
        case .missingIndex(let path):
            "\(path): no index here; build one first with `loom index PATH... --index \(path)`"
        case .newerSchema(let path, let found, let supported):
            "\(path): index schema version \(found) was written by a newer Loom (this one reads up to version \(supported)); "
                + "use a newer loom, or build a new index file with `loom index --index OTHER.loom`"
        case .notAnIndex(let path, let reason):
            "\(path): not a Loom index (\(reason)); pass a file made by `loom index`, or a new file name"
        case .modelMismatch(let path, let role, let indexed, let requested):
            "\(path): the index holds \(role) embeddings from \(indexed), not \(requested); "
                + "pass \(IndexError.option(role)) \(indexed), or index into a new file"
        case .modelUnavailable(let path, let role, let reason):
            "\(path): cannot load the \(role) model this index was built with: \(reason); pass one with \(IndexError.option(role))"
        case .notIndexed(let path, let index):
            "\(path): not in the index \(index); index it first with `loom index`"
        case .readOnly(let path):
            "\(path): the index cannot be written here (no write permission on the file or its folder, or a read-only disk); "
                + "`loom search` needs no write access; to index, make them writable or pass --index with a file in a writable folder"
        case .nonFinite(let path, let what):
            "\(path): \(what) is NaN or infinite, so the file was not stored; the model that made it misbehaved, try another one"
        case .database(let path, let reason):
            "\(path): database error: \(reason)"
        case .badEmbedding(let model, let reason):
            "model \(model): \(reason)"
        }
    }

    public var errorDescription: String? { description }

    /// The `loom index` option that sets the model for a role.
    static func option(_ role: String) -> String {
        switch role {
        case "image": "--image-model"
        case "asr": "--asr-model"
        default: "--model"
        }
    }
}
