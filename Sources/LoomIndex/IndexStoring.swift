import Foundation
import LoomPostgres

/// An index backend: items, their segments and vectors, and the settings that name the models.
/// Records cross it as plain values (no database types), every write is one transaction (one item,
/// or one batch), and a backend with its own vector search may answer `nearest` in its database.
/// `SQLiteIndexStore` (one file) is the embedded default; `openIndex(url:access:)` picks the backend.
///
/// Every backend passes `IndexStoreContractTests`.
public protocol IndexStoring: AnyObject, Sendable {
    /// Where the index lives: a file URL, or a database server's URL. Errors name its `location`.
    var url: URL { get }
    /// The index file's path, or the server's URL without its password: what messages show.
    var location: String { get }
    var access: IndexAccess { get }

    /// The models the index was built with: keys like `text.model`, `text.path`, `image.model`.
    func settings() throws -> [String: String]
    func setSettings(_ values: [String: String]) throws

    func item(path: String) throws -> IndexedItem?
    func items(contentHash: String) throws -> [IndexedItem]
    /// Every item, by path.
    func allItems() throws -> [IndexedItem]
    /// An item's segments, by kind and ordinal.
    func segments(itemId: Int64) throws -> [IndexedSegment]
    /// The items and segments with these ids (those that exist), read together: a search's results.
    func records(itemIds: [Int64], segmentIds: [Int64]) throws -> (items: [Int64: IndexedItem], segments: [Int64: IndexedSegment])
    /// The stored content of an item (segments with their `textModel` vectors, item vectors), for
    /// copying it to a duplicate or carrying captions over.
    func content(of item: IndexedItem, textModel: String) throws -> ItemContent

    /// Stores `content` in one transaction, first removing whatever the index held at its path.
    /// Content with a NaN or infinite time or vector is refused (`IndexError.nonFinite`).
    @discardableResult
    func replace(with content: ItemContent) throws -> IndexedItem
    /// Stores many items in one transaction (bulk loads; an indexing run commits file by file).
    func replace(with contents: [ItemContent]) throws
    /// Points an item at a new path (a moved file) and updates its file facts, in one transaction;
    /// `filename` replaces the file-name segment when the name changed.
    func move(_ item: IndexedItem, to path: String, size: Int64, mtime: Double,
              filename: (segment: IndexedSegment, vector: [Float], model: String)?) throws
    /// Records new file facts for an unchanged item (a touched file with the same bytes).
    func touch(_ item: IndexedItem, size: Int64, mtime: Double) throws
    /// Replaces an item's segments of one kind and source (e.g. the captions of one captioner) with
    /// new ones and their text vectors, in one transaction.
    func replaceSegments(of item: IndexedItem, kind: SegmentKind, source: String?,
                         with segments: [(segment: IndexedSegment, vector: [Float])], model: String) throws
    /// Removes items (their segments and vectors go with them), in one transaction.
    func delete(itemIds: [Int64]) throws
    /// Counts of items by status, segments and vectors.
    func counts() throws -> (items: Int, failed: Int, segments: Int, vectors: Int)

    /// Every vector of `model` of the items that were read (status ok), as rows of one matrix.
    func vectors(model: String) throws -> StoredVectors
    /// Whether `nearest` runs in the backend's database; if not, a searcher keeps each model's
    /// `vectors` in memory across queries instead of asking `nearest` for every one.
    var searchesInDatabase: Bool { get }
    /// The `k` vectors of `model` nearest to `query` by cosine (dot product of normalized vectors),
    /// best first, of the items `filter` admits. The default loads `vectors(model:)` and scans them
    /// exactly; a database with a vector index (pgvector) answers it there.
    func nearest(to query: [Float], model: String, k: Int, filter: VectorFilter) throws -> [VectorMatch]
}

/// What a command does with the index.
public enum IndexAccess: Sendable {
    /// Searching: nothing is written, so an index the user cannot write (a read-only file,
    /// folder or disk) is read as it is.
    case read
    /// Indexing into an existing index, which must be writable.
    case write
    /// Indexing, creating the index when it is missing.
    case create
}

/// Opens the index at `url` with the backend its scheme names: a file URL is an SQLite index file,
/// `postgres://` or `postgresql://` a database on a PostgreSQL server.
public func openIndex(url: URL, access: IndexAccess) throws -> any IndexStoring {
    if url.isFileURL { return try SQLiteIndexStore(url: url, access: access) }
    if PostgresConnection.isPostgresURL(url) { return try PostgresIndexStore(url: url, access: access) }
    // Only the scheme and host: a URL may carry a password.
    let location = "\(url.scheme ?? "")://\(url.host ?? "")"
    throw IndexError.database(
        path: location, reason: "Loom keeps indexes in files or in PostgreSQL; pass --index with a file path or a postgres:// URL")
}

/// What messages show of an index's URL: a file's path, a server's URL without its password.
public func indexLocation(_ url: URL) -> String {
    url.isFileURL ? url.standardizedFileURL.path : PostgresConnection.location(of: url)
}

/// The URL of `--index VALUE`: a `postgres://` or `postgresql://` URL names a database server,
/// anything else is a file path (relative to the current folder).
public func indexURL(_ argument: String) throws -> URL {
    let scheme = argument.prefix { $0 != ":" }.lowercased()
    guard argument.contains("://"), ["postgres", "postgresql"].contains(scheme) else { return URL(fileURLWithPath: argument) }
    guard let url = URL(string: argument) else {
        throw IndexError.database(path: "\(scheme)://", reason: "--index is not a valid URL; write postgres://USER@HOST:PORT/DATABASE, "
            + "with special characters of the password percent-encoded")
    }
    return url
}

/// Which stored vectors a nearest-neighbour search ranks.
public struct VectorFilter: Sendable, Equatable {
    public var modalities: Set<Modality> = Set(Modality.allCases)
    /// Items with these content hashes are left out (the example file of a `--like` query).
    public var excludedHashes: Set<String> = []
    /// One match per item (its best vector); false ranks every vector.
    public var onePerItem = true

    public init() {}
}

/// A stored vector that matched a query: its item, its segment (nil for a vector of the whole
/// item, an image's), and the cosine score.
public struct VectorMatch: Sendable, Equatable {
    public var itemId: Int64
    public var segmentId: Int64?
    public var score: Float

    public init(itemId: Int64, segmentId: Int64?, score: Float) {
        (self.itemId, self.segmentId, self.score) = (itemId, segmentId, score)
    }
}

/// One model's vectors as rows of a row-major (count, dimension) matrix, with the item each row
/// belongs to: what an in-memory vector index is built from.
public struct StoredVectors: Sendable {
    public var matrix: [Float]
    public var dimension: Int
    /// Per row: its segment, or nil for a vector of the whole item.
    public var segmentIds: [Int64?]
    /// Per row: a dense item number (0..<itemIds.count), indexing the three per-item arrays.
    public var groups: [Int32]
    public var itemIds: [Int64]
    public var modalities: [Modality]
    public var hashes: [String]

    public init(matrix: [Float] = [], dimension: Int = 0, segmentIds: [Int64?] = [], groups: [Int32] = [],
                itemIds: [Int64] = [], modalities: [Modality] = [], hashes: [String] = []) {
        (self.matrix, self.dimension, self.segmentIds, self.groups) = (matrix, dimension, segmentIds, groups)
        (self.itemIds, self.modalities, self.hashes) = (itemIds, modalities, hashes)
    }
}

extension IndexStoring {
    public var location: String { indexLocation(url) }

    public var searchesInDatabase: Bool { false }

    public func nearest(to query: [Float], model: String, k: Int, filter: VectorFilter) throws -> [VectorMatch] {
        try InMemoryVectors(vectors(model: model)).nearest(to: query, model: model, k: k, filter: filter)
    }
}

/// A model's vectors in memory behind a `VectorSearching` index (the exact BLAS scan by default):
/// the search of a backend that has none of its own.
struct InMemoryVectors {
    let index: any VectorSearching
    /// The stored rows' items and segments (their matrix is the index's).
    let rows: StoredVectors

    init(_ stored: StoredVectors,
         makeIndex: ([Float], Int) -> any VectorSearching = { ExactVectorIndex(rows: $0, dimension: $1) }) {
        index = makeIndex(stored.matrix, max(stored.dimension, 1))
        var rows = stored
        rows.matrix = []  // the index holds the floats; no second reference to them
        self.rows = rows
    }

    func nearest(to query: [Float], model: String, k: Int, filter: VectorFilter) throws -> [VectorMatch] {
        guard index.count > 0 else { return [] }
        guard query.count == index.dimension else {
            throw IndexError.badEmbedding(
                model: model, reason: "query vector of size \(query.count), the index holds size \(index.dimension)")
        }
        let include: (Int32) -> Bool = { group in
            filter.modalities.contains(rows.modalities[Int(group)]) && !filter.excludedHashes.contains(rows.hashes[Int(group)])
        }
        let scored = filter.onePerItem
            ? index.nearest(to: query, k: k, groups: rows.groups, includeGroup: include)
            : index.nearest(to: query, k: k, groups: nil) { include(rows.groups[Int($0)]) }
        return scored.map { VectorMatch(itemId: rows.itemIds[Int(rows.groups[$0.row])], segmentId: rows.segmentIds[$0.row], score: $0.score) }
    }
}
