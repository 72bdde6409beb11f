import Foundation
import LoomPostgres

/// The index on a PostgreSQL server (`--index postgres://USER@HOST:PORT/DATABASE`), for an index
/// that many machines write and search. The same tables and transactions as `SQLiteIndexStore`
/// (PostgresIndexSchema); vectors are `real[]`, loaded by a searcher once per query session and
/// ranked by Loom's exact BLAS scan, so both backends give the same ranked results
/// (IndexStoreContractTests); where the server has pgvector, searched in the database through an
/// HNSW index over them instead (PostgresVectorSearch). One connection, used under a lock; a call
/// that finds the connection lost (a server restart, a dropped network) reconnects and runs once more. That is safe for
/// writes too: each is one transaction, which the server rolls back when its connection goes, and
/// every write is idempotent (replace by path, set, delete), so even a commit whose answer was lost
/// gives the same index when repeated.
public final class PostgresIndexStore: IndexStoring, @unchecked Sendable {
    public let url: URL
    public let access: IndexAccess
    /// The URL without password, for messages.
    public let location: String
    /// Recursive: the reads and writes inside `transaction`'s body take it again.
    private let lock = NSRecursiveLock()
    private let db: PostgresConnection
    /// pgvector's search in the database, or nil: Loom's exact scan (PostgresVectorSearch.swift).
    let vectorSearch: PostgresVectorSearch?
    /// Why pgvector is not used, or what it lacks, said once per store (stderr).
    let notes = PostgresIndexNotes()

    /// Connects and checks the schema: a database without an index is `missingIndex` unless
    /// `access` is `.create`, which makes it; a newer schema is refused. Searching opens a
    /// read-only session, so nothing can be written through it. The URL's `loom_search` and
    /// `loom_ef_search` parameters choose the search (PostgresSearchOptions); libpq gets the rest.
    public init(url: URL, access: IndexAccess) throws {
        self.url = url
        self.access = access
        location = PostgresConnection.location(of: url)
        let (options, connectionURL) = try PostgresSearchOptions.parse(url, location: location)
        do {
            db = try PostgresConnection(url: connectionURL)
            try Self.setUp(db, access: access)
            if access == .create { try PostgresIndexSchema.prepare(db, location: location) }
            if try PostgresIndexSchema.found(db, location: location) == 0 { throw IndexError.missingIndex(path: location) }
            let (search, note) = try PostgresVectorSearch.open(db, access: access, options: options, location: location)
            vectorSearch = search
            if let note { notes.say(note, location: location) }
        } catch let error as PostgresError {
            throw Self.indexError(error, location: location)
        }
    }

    private static func setUp(_ db: PostgresConnection, access: IndexAccess) throws {
        if access == .read { try db.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY") }
    }

    private static func indexError(_ error: PostgresError, location: String) -> IndexError {
        var reason = error.message
        if error.sqlState == "3D000" || reason.contains("does not exist") && reason.contains("database") {
            reason += "; create the database first (createdb), Loom makes its tables in it"
        }
        return .database(path: location, reason: reason)
    }

    /// Runs `body` on the connection, under the lock; reconnects first when the connection is known
    /// lost, and runs `body` once more when it lost the connection on the way, unless it ran inside
    /// `transaction`, whose whole body is what runs again.
    func run<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            if db.inTransaction { return try body(db) }
            if !db.isConnected { try reconnect() }
            do { return try body(db) } catch let error as PostgresError where error.connectionLost {
                try reconnect()
                return try body(db)
            }
        } catch let error as PostgresError {
            throw Self.indexError(error, location: location)
        }
    }

    /// Waits up to two minutes, with backoff, for a server that went away (a restart).
    private func reconnect() throws {
        try db.reconnect(within: 120)
        try Self.setUp(db, access: access)
    }

    private func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T { try run(body) }

    /// Runs `body` as one transaction: every read and write of this store that it makes (from this
    /// thread: others wait for the lock), and `body`'s own statements on the connection it is given,
    /// commit together or not at all. The work queue finishes an item this way, with its index rows
    /// (IndexStep, QueueWorker). A connection lost on the way runs the whole body again, so it must
    /// be idempotent, as every write of the index is.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard access != .read else { throw IndexError.database(path: location, reason: "opened for searching, which writes nothing") }
        return try run { db in try db.transaction { try body(db) } }
    }

    /// Runs `body` in one transaction (or in the open `transaction`).
    private func write<T>(_ body: (PostgresConnection) throws -> T) throws -> T { try transaction(body) }

    // MARK: settings

    public func settings() throws -> [String: String] {
        try read { db in
            let rows = try db.query("SELECT key, value FROM loom.settings")
            return Dictionary((0..<rows.count).map { (rows.string($0, 0) ?? "", rows.string($0, 1) ?? "") }, uniquingKeysWith: { $1 })
        }
    }

    public func setSettings(_ values: [String: String]) throws {
        try write { db in
            for (key, value) in values {
                try db.query("""
                    INSERT INTO loom.settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                    """, [.text(key), .text(value)])
            }
        }
    }

    // MARK: items

    private static let itemColumns = "id, path, content_hash, modality, size, mtime, metadata, status, error, fingerprint"

    /// An unknown modality reads as text and an unknown status as failed, as in the SQLite backend.
    private static func items(_ rows: PostgresResult) throws -> [IndexedItem] {
        try (0..<rows.count).map { row in
            IndexedItem(id: try rows.int(row, 0), path: rows.string(row, 1) ?? "", contentHash: rows.string(row, 2) ?? "",
                        modality: Modality(rawValue: rows.string(row, 3) ?? "") ?? .text, size: try rows.int(row, 4) ?? 0,
                        mtime: try rows.double(row, 5) ?? 0, metadata: rows.string(row, 6) ?? "{}",
                        status: ItemStatus(rawValue: rows.string(row, 7) ?? "") ?? .failed, error: rows.string(row, 8),
                        fingerprint: rows.string(row, 9) ?? "")
        }
    }

    private static let segmentColumns = "id, item_id, kind, ordinal, start_seconds, end_seconds, text, source"

    /// An unknown kind (a newer Loom's) reads as a chunk of text.
    private static func segments(_ rows: PostgresResult) throws -> [IndexedSegment] {
        try (0..<rows.count).map { row in
            IndexedSegment(id: try rows.int(row, 0), itemId: try rows.int(row, 1) ?? 0,
                           kind: SegmentKind(rawValue: rows.string(row, 2) ?? "") ?? .chunk, ordinal: Int(try rows.int(row, 3) ?? 0),
                           start: try rows.double(row, 4), end: try rows.double(row, 5), text: rows.string(row, 6) ?? "",
                           source: rows.string(row, 7))
        }
    }

    public func item(path: String) throws -> IndexedItem? {
        try read { try Self.items($0.query("SELECT \(Self.itemColumns) FROM loom.items WHERE path = $1", [.text(path)])).first }
    }

    public func items(contentHash: String) throws -> [IndexedItem] {
        try read {
            try Self.items($0.query("SELECT \(Self.itemColumns) FROM loom.items WHERE content_hash = $1 ORDER BY id", [.text(contentHash)]))
        }
    }

    /// By path in byte order (COLLATE "C"), as SQLite orders text, whatever the database's locale.
    public func allItems() throws -> [IndexedItem] {
        try read { try Self.items($0.query("SELECT \(Self.itemColumns) FROM loom.items ORDER BY path COLLATE \"C\"")) }
    }

    public func segments(itemId: Int64) throws -> [IndexedSegment] {
        try read { db in
            try Self.segments(db.query("""
                SELECT \(Self.segmentColumns) FROM loom.segments WHERE item_id = $1 ORDER BY kind COLLATE "C", ordinal, id
                """, [.int(itemId)]))
        }
    }

    public func records(itemIds: [Int64], segmentIds: [Int64]) throws
        -> (items: [Int64: IndexedItem], segments: [Int64: IndexedSegment]) {
        try read { db in
            let items = try Self.items(db.query("SELECT \(Self.itemColumns) FROM loom.items WHERE id = ANY($1::bigint[])", [.ints(itemIds)]))
            let segments = try Self.segments(db.query(
                "SELECT \(Self.segmentColumns) FROM loom.segments WHERE id = ANY($1::bigint[])", [.ints(segmentIds)]))
            return (Dictionary(items.map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a }),
                    Dictionary(segments.map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    public func content(of item: IndexedItem, textModel: String) throws -> ItemContent {
        try read { db in
            let segments = try Self.segments(db.query(
                "SELECT \(Self.segmentColumns) FROM loom.segments WHERE item_id = $1 ORDER BY id", [.int(item.id!)]))
            let rows = try db.query("SELECT segment_id, model, embedding FROM loom.vectors WHERE item_id = $1 ORDER BY id",
                                    [.int(item.id!)], binaryResults: true)
            var bySegment: [Int64: [Float]] = [:]
            var itemVectors: [(model: String, vector: [Float])] = []
            for row in 0..<rows.count {
                let model = rows.string(row, 1) ?? "", vector = try rows.floats(row, 2) ?? []
                if let segment = try rows.int(row, 0) {
                    if model == textModel && bySegment[segment] == nil { bySegment[segment] = vector }
                } else {
                    itemVectors.append((model, vector))
                }
            }
            return ItemContent(item: item, segments: segments.map { ($0, bySegment[$0.id!]) }, itemVectors: itemVectors, textModel: textModel)
        }
    }

    // MARK: writes

    @discardableResult
    public func replace(with content: ItemContent) throws -> IndexedItem {
        let item = try write { try Self.insert(content, db: $0) }
        indexVectors(of: [content])
        return item
    }

    public func replace(with contents: [ItemContent]) throws {
        try write { db in for content in contents { try Self.insert(content, db: db) } }
        indexVectors(of: contents)
    }

    /// Refuses content with a NaN or infinite time or vector, and text with a NUL character (which
    /// PostgreSQL's text cannot hold), naming the file.
    @discardableResult
    private static func insert(_ content: ItemContent, db: PostgresConnection) throws -> IndexedItem {
        if let what = content.nonFiniteValue { throw IndexError.nonFinite(path: content.item.path, what: what) }
        if content.segments.contains(where: { $0.segment.text.utf8.contains(0) || ($0.segment.source?.utf8.contains(0) ?? false) })
            || content.item.metadata.utf8.contains(0) || (content.item.error?.utf8.contains(0) ?? false) {
            throw IndexError.database(path: content.item.path, reason: "its text holds a NUL character, which a PostgreSQL index cannot store")
        }
        var item = content.item
        try db.query("DELETE FROM loom.items WHERE path = $1", [.text(item.path)])
        let inserted = try db.query("""
            INSERT INTO loom.items (path, content_hash, modality, size, mtime, metadata, status, error, fingerprint)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
            """, [.text(item.path), .text(item.contentHash), .text(item.modality.rawValue), .int(item.size), .double(item.mtime),
                  .text(item.metadata), .text(item.status.rawValue), PostgresValue(item.error), .text(item.fingerprint)])
        item.id = try inserted.int(0, 0)
        for (segment, vector) in content.segments {
            let segmentId = try insert(segment, itemId: item.id!, db: db)
            if let vector { try insert(vector, model: content.textModel, itemId: item.id!, segmentId: segmentId, db: db) }
        }
        for (model, vector) in content.itemVectors {
            try insert(vector, model: model, itemId: item.id!, segmentId: nil, db: db)
        }
        return item
    }

    private static func insert(_ segment: IndexedSegment, itemId: Int64, db: PostgresConnection) throws -> Int64 {
        let row = try db.query("""
            INSERT INTO loom.segments (item_id, kind, ordinal, start_seconds, end_seconds, text, source)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """, [.int(itemId), .text(segment.kind.rawValue), .int(Int64(segment.ordinal)), PostgresValue(segment.start),
                  PostgresValue(segment.end), .text(segment.text), PostgresValue(segment.source)])
        return try row.int(0, 0) ?? 0
    }

    private static func insert(_ vector: [Float], model: String, itemId: Int64, segmentId: Int64?, db: PostgresConnection) throws {
        try db.query("""
            INSERT INTO loom.vectors (item_id, segment_id, model, dimension, embedding) VALUES ($1, $2, $3, $4, $5::real[])
            """, [.int(itemId), PostgresValue(segmentId), .text(model), .int(Int64(vector.count)), .floats(vector)])
    }

    public func move(_ item: IndexedItem, to path: String, size: Int64, mtime: Double,
                     filename: (segment: IndexedSegment, vector: [Float], model: String)?) throws {
        try write { db in
            try db.query("DELETE FROM loom.items WHERE path = $1 AND id <> $2", [.text(path), .int(item.id!)])
            try db.query("""
                UPDATE loom.items SET path = $1, size = $2, mtime = $3, content_hash = $4, modality = $5, metadata = $6,
                    status = $7, error = $8, fingerprint = $9 WHERE id = $10
                """, [.text(path), .int(size), .double(mtime), .text(item.contentHash), .text(item.modality.rawValue),
                      .text(item.metadata), .text(item.status.rawValue), PostgresValue(item.error), .text(item.fingerprint),
                      .int(item.id!)])
            guard let filename else { return }
            try db.query("DELETE FROM loom.segments WHERE item_id = $1 AND kind = $2", [.int(item.id!), .text(SegmentKind.filename.rawValue)])
            let segmentId = try Self.insert(filename.segment, itemId: item.id!, db: db)
            try Self.insert(filename.vector, model: filename.model, itemId: item.id!, segmentId: segmentId, db: db)
        }
        if let filename { indexVectors([(filename.model, filename.vector.count)]) }
    }

    public func touch(_ item: IndexedItem, size: Int64, mtime: Double) throws {
        try write { db in
            try db.query("UPDATE loom.items SET size = $1, mtime = $2 WHERE id = $3", [.int(size), .double(mtime), .int(item.id!)])
        }
    }

    public func replaceSegments(of item: IndexedItem, kind: SegmentKind, source: String?,
                                with segments: [(segment: IndexedSegment, vector: [Float])], model: String) throws {
        try write { db in
            try db.query("DELETE FROM loom.segments WHERE item_id = $1 AND kind = $2 AND source IS NOT DISTINCT FROM $3",
                         [.int(item.id!), .text(kind.rawValue), PostgresValue(source)])
            for (segment, vector) in segments {
                let segmentId = try Self.insert(segment, itemId: item.id!, db: db)
                try Self.insert(vector, model: model, itemId: item.id!, segmentId: segmentId, db: db)
            }
        }
        indexVectors(segments.map { (model, $0.vector.count) })
    }

    public func delete(itemIds: [Int64]) throws {
        guard !itemIds.isEmpty else { return }
        try write { db in try db.query("DELETE FROM loom.items WHERE id = ANY($1::bigint[])", [.ints(itemIds)]) }
    }

    public func counts() throws -> (items: Int, failed: Int, segments: Int, vectors: Int) {
        try read { db in
            let row = try db.query("""
                SELECT (SELECT count(*) FROM loom.items), (SELECT count(*) FROM loom.items WHERE status = 'failed'),
                       (SELECT count(*) FROM loom.segments), (SELECT count(*) FROM loom.vectors)
                """)
            return (Int(try row.int(0, 0) ?? 0), Int(try row.int(0, 1) ?? 0), Int(try row.int(0, 2) ?? 0), Int(try row.int(0, 3) ?? 0))
        }
    }

    // MARK: vectors

    /// Rows this many at a time through a cursor, so libpq never holds a whole large index at once.
    static let vectorBatch = 10_000

    /// Every vector of `model`, in insertion order, read in binary (no float printing and parsing);
    /// a vector whose size differs from the others' is a damaged index.
    public func vectors(model: String) throws -> StoredVectors {
        let location = location
        return try read { db in
            try db.transaction {
                try db.query("""
                    DECLARE loom_vectors NO SCROLL CURSOR FOR
                    SELECT v.item_id, v.segment_id, v.embedding, i.modality, i.content_hash
                    FROM loom.vectors v JOIN loom.items i ON i.id = v.item_id
                    WHERE v.model = $1 AND i.status = 'ok' ORDER BY v.id
                    """, [.text(model)])
                var vectors = StoredVectors()
                var groupOfItem: [Int64: Int32] = [:]
                while true {
                    let rows = try db.query("FETCH \(Self.vectorBatch) FROM loom_vectors", binaryResults: true)
                    for row in 0..<rows.count {
                        let vector = try rows.floats(row, 2) ?? []
                        if vectors.dimension == 0 { vectors.dimension = vector.count }
                        guard vector.count == vectors.dimension, !vector.isEmpty else {
                            throw IndexError.notAnIndex(path: location, reason: "a \(model) vector has size \(vector.count), others \(vectors.dimension)")
                        }
                        vectors.matrix += vector
                        let itemId = try rows.int(row, 0) ?? 0
                        let group: Int32
                        if let known = groupOfItem[itemId] { group = known } else {
                            group = Int32(vectors.itemIds.count)
                            groupOfItem[itemId] = group
                            vectors.itemIds.append(itemId)
                            vectors.modalities.append(Modality(rawValue: rows.string(row, 3) ?? "") ?? .text)
                            vectors.hashes.append(rows.string(row, 4) ?? "")
                        }
                        vectors.segmentIds.append(try rows.int(row, 1))
                        vectors.groups.append(group)
                    }
                    if rows.count < Self.vectorBatch { break }
                }
                return vectors
            }
        }
    }
}
