import Foundation
internal import GRDB

/// The embedded index backend, one file: SQLite through GRDB in WAL mode, so searches read while an
/// indexing run writes. Every change is one transaction, so an interrupted run keeps what it
/// committed and leaves nothing half-written. Searching opens it without writing anything. GRDB's
/// types stay in this file and SQLiteIndexRows.swift.
public final class SQLiteIndexStore: IndexStoring {
    /// The default index file name, in the current directory.
    public static let defaultFileName = "media.loom"

    public let url: URL
    public let access: Access
    /// A `DatabasePool` when writing (its readers run beside the writer); one connection when reading.
    let database: any DatabaseWriter

    public typealias Access = IndexAccess

    /// Opens the index at `url` for writing; with `create`, a missing file is created.
    public convenience init(url: URL, create: Bool) throws {
        try self.init(url: url, access: create ? .create : .write)
    }

    /// Opens the index at `url`. A missing file is an error that says to run `loom index` (unless
    /// `access` is `.create`); a file from a newer Loom, not an index, or not writable when writing is
    /// refused unchanged.
    public init(url: URL, access: Access) throws {
        self.url = url.standardizedFileURL
        self.access = access
        let path = self.url.path
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue { throw IndexError.notAnIndex(path: path, reason: "it is a folder") }
        if !exists && access != .create { throw IndexError.missingIndex(path: path) }
        let empty = exists ? try Self.checkHeader(path) : true
        // An empty file (a run is creating it, or a stray touch) holds nothing to search.
        if empty && access == .read { throw IndexError.missingIndex(path: path) }
        // SQLite needs the folder too, for the WAL and shared-memory files beside the index.
        let files = FileManager.default
        let writable = files.isWritableFile(atPath: self.url.deletingLastPathComponent().path)
            && (!exists || files.isWritableFile(atPath: path))
        if access != .read && !writable { throw IndexError.readOnly(path: path) }
        do {
            database = access == .read ? try Self.openForReading(path, writable: writable) : try Self.openForWriting(path)
        } catch let error as IndexError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw IndexError.notAnIndex(path: path, reason: "not an SQLite database")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            throw IndexError.readOnly(path: path)
        } catch {
            throw IndexError.database(path: path, reason: "\(error)")
        }
    }

    static func openForWriting(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)  // another writer (a second `loom index`) holds the lock
        // Two runs turning a new file to WAL mode at once would deadlock on the lock upgrade, so SQLite
        // fails one of them at once with SQLITE_BUSY instead of waiting: that one tries again.
        let deadline = Date().addingTimeInterval(30)
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try IndexSchema.prepare(pool, path: path)
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(50_000)
            }
        }
    }

    /// One connection; the schema is checked, never changed, and `write` refuses.
    ///
    /// A file the user may write is opened as usual, so SQLite still removes its WAL and
    /// shared-memory files on close. A write-protected one, or one on a read-only disk, is opened
    /// read-only: as immutable when no WAL file is beside it (SQLite then needs no shared-memory
    /// file, which it could not create there, and leaves no files behind), else with its WAL, or as
    /// immutable after all when SQLite cannot open that.
    static func openForReading(_ path: String, writable: Bool) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.readonly = !writable
        func checked(_ queue: DatabaseQueue) throws -> DatabaseQueue {
            if try queue.read({ try IndexSchema.check($0, path: path) }) == 0 { throw IndexError.missingIndex(path: path) }
            return queue
        }
        if writable { return try checked(DatabaseQueue(path: path, configuration: configuration)) }
        let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
        let immutable = "file:\(encoded)?immutable=1"  // an SQLite URI: the path percent-encoded
        guard FileManager.default.fileExists(atPath: path + "-wal") else {
            return try checked(DatabaseQueue(path: immutable, configuration: configuration))
        }
        do {
            return try checked(DatabaseQueue(path: path, configuration: configuration))
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
            return try checked(DatabaseQueue(path: immutable, configuration: configuration))
        }
    }

    /// SQLite files start with "SQLite format 3\0"; anything else (an image passed by mistake) is
    /// refused before SQLite sees it. An empty file is a new database: returns whether it is empty.
    static func checkHeader(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IndexError.database(path: path, reason: "cannot be read (permissions?)")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if !head.isEmpty && head != Data("SQLite format 3\0".utf8) {
            throw IndexError.notAnIndex(path: path, reason: "not an SQLite database")
        }
        return head.isEmpty
    }

    /// Runs `body` in one write transaction; database errors name the index file.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        guard access != .read else {
            throw IndexError.database(path: url.path, reason: "opened for searching, which writes nothing")
        }
        do { return try database.write(body) } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            throw IndexError.readOnly(path: url.path)
        } catch let error as DatabaseError {
            throw IndexError.database(path: url.path, reason: "\(error)")
        } catch let error as RowDecodingError {
            throw damaged(error)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch let error as DatabaseError {
            throw IndexError.database(path: url.path, reason: "\(error)")
        } catch let error as RowDecodingError {
            throw damaged(error)
        }
    }

    /// A row that does not decode (a column missing or holding the wrong type): the file claims to be
    /// a Loom index but its tables are not what Loom wrote. Reads use `Row.decode`, which throws this,
    /// never GRDB's `row["column"]` subscripts, which trap on such a file.
    private func damaged(_ error: RowDecodingError) -> IndexError {
        .notAnIndex(path: url.path, reason: "its tables are damaged or not Loom's: \(error)")
    }

    // MARK: settings

    public func settings() throws -> [String: String] {
        try read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT key, value FROM settings").map {
                (try $0.decode(String.self, forColumn: "key"), try $0.decode(String.self, forColumn: "value"))
            }, uniquingKeysWith: { $1 })
        }
    }

    public func setSettings(_ values: [String: String]) throws {
        try write { db in
            for (key, value) in values {
                try db.execute(sql: "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
    }

    // MARK: items

    public func item(path: String) throws -> IndexedItem? {
        try read { try ItemRow.filter(Column("path") == path).fetchOne($0)?.item }
    }

    public func items(contentHash: String) throws -> [IndexedItem] {
        try read { try ItemRow.filter(Column("contentHash") == contentHash).order(Column("id")).fetchAll($0).map(\.item) }
    }

    public func allItems() throws -> [IndexedItem] {
        try read { try ItemRow.order(Column("path")).fetchAll($0).map(\.item) }
    }

    public func segments(itemId: Int64) throws -> [IndexedSegment] {
        try read { db in
            try SegmentRow.filter(Column("itemId") == itemId).order(Column("kind"), Column("ordinal")).fetchAll(db).map(\.segment)
        }
    }

    public func records(itemIds: [Int64], segmentIds: [Int64]) throws
        -> (items: [Int64: IndexedItem], segments: [Int64: IndexedSegment]) {
        try read { db in
            let items = try ItemRow.fetchAll(db, keys: itemIds).map(\.item)
            let segments = try SegmentRow.fetchAll(db, keys: segmentIds).map(\.segment)
            return (Dictionary(items.map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a }),
                    Dictionary(segments.map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    @discardableResult
    public func replace(with content: ItemContent) throws -> IndexedItem {
        try write { try Self.insert(content, db: $0) }
    }

    public func replace(with contents: [ItemContent]) throws {
        try write { db in for content in contents { try Self.insert(content, db: db) } }
    }

    /// Refuses content with a NaN or infinite time or vector (it would break ranking and JSON).
    @discardableResult
    static func insert(_ content: ItemContent, db: Database) throws -> IndexedItem {
        if let what = content.nonFiniteValue { throw IndexError.nonFinite(path: content.item.path, what: what) }
        try ItemRow.filter(Column("path") == content.item.path).deleteAll(db)
        var item = ItemRow(content.item)
        item.id = nil
        try item.insert(db)
        let itemId = item.id!
        for (segment, vector) in content.segments {
            var row = SegmentRow(segment, itemId: itemId)
            row.id = nil
            try row.insert(db)
            if let vector {
                var stored = VectorRow(itemId: itemId, segmentId: row.id, model: content.textModel, vector: vector)
                try stored.insert(db)
            }
        }
        for (model, vector) in content.itemVectors {
            var stored = VectorRow(itemId: itemId, segmentId: nil, model: model, vector: vector)
            try stored.insert(db)
        }
        return item.item
    }

    public func content(of item: IndexedItem, textModel: String) throws -> ItemContent {
        try read { db in
            let segments = try SegmentRow.filter(Column("itemId") == item.id!).order(Column("id")).fetchAll(db)
            let vectors = try VectorRow.filter(Column("itemId") == item.id!).fetchAll(db)
            let bySegment = Dictionary(vectors.compactMap { v in v.segmentId.map { ($0, v) } }.filter { $0.1.model == textModel },
                                       uniquingKeysWith: { a, _ in a })
            return ItemContent(
                item: item,
                segments: segments.map { ($0.segment, bySegment[$0.id!].map(\.floats)) },
                itemVectors: vectors.filter { $0.segmentId == nil }.map { ($0.model, $0.floats) },
                textModel: textModel)
        }
    }

    public func move(_ item: IndexedItem, to path: String, size: Int64, mtime: Double,
                     filename: (segment: IndexedSegment, vector: [Float], model: String)?) throws {
        try write { db in
            try ItemRow.filter(Column("path") == path).deleteAll(db)
            var moved = ItemRow(item)
            moved.path = path
            moved.size = size
            moved.mtime = mtime
            try moved.update(db)
            guard let filename else { return }
            try SegmentRow.filter(Column("itemId") == item.id! && Column("kind") == SegmentKind.filename.rawValue).deleteAll(db)
            var segment = SegmentRow(filename.segment, itemId: item.id!)
            try segment.insert(db)
            var stored = VectorRow(itemId: item.id!, segmentId: segment.id, model: filename.model, vector: filename.vector)
            try stored.insert(db)
        }
    }

    public func touch(_ item: IndexedItem, size: Int64, mtime: Double) throws {
        try write { db in
            try db.execute(sql: "UPDATE items SET size = ?, mtime = ? WHERE id = ?", arguments: [size, mtime, item.id!])
        }
    }

    public func replaceSegments(of item: IndexedItem, kind: SegmentKind, source: String?,
                                with segments: [(segment: IndexedSegment, vector: [Float])], model: String) throws {
        try write { db in
            var old = SegmentRow.filter(Column("itemId") == item.id! && Column("kind") == kind.rawValue)
            old = source.map { old.filter(Column("source") == $0) } ?? old.filter(Column("source") == nil)
            try old.deleteAll(db)
            for (segment, vector) in segments {
                var row = SegmentRow(segment, itemId: item.id!)
                try row.insert(db)
                var stored = VectorRow(itemId: item.id!, segmentId: row.id, model: model, vector: vector)
                try stored.insert(db)
            }
        }
    }

    public func delete(itemIds: [Int64]) throws {
        guard !itemIds.isEmpty else { return }
        try write { db in _ = try ItemRow.filter(keys: itemIds).deleteAll(db) }
    }

    public func counts() throws -> (items: Int, failed: Int, segments: Int, vectors: Int) {
        try read { db in
            (try ItemRow.fetchCount(db),
             try ItemRow.filter(Column("status") == ItemStatus.failed.rawValue).fetchCount(db),
             try SegmentRow.fetchCount(db),
             try VectorRow.fetchCount(db))
        }
    }

    // MARK: vectors

    /// Copies the blobs straight into one matrix, in insertion order; a vector whose size differs
    /// from the others' is a damaged index.
    public func vectors(model: String) throws -> StoredVectors {
        let path = url.path
        return try read { db in
            var vectors = StoredVectors()
            var groupOfItem: [Int64: Int32] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT v.itemId, v.segmentId, v.dimension, v.embedding, i.modality, i.contentHash
                FROM vectors v JOIN items i ON i.id = v.itemId
                WHERE v.model = ? AND i.status = 'ok' ORDER BY v.id
                """, arguments: [model])
            while let row = try rows.next() {
                let rowDimension = try row.decode(Int.self, forColumn: "dimension")
                let blob = try row.decode(Data.self, forColumn: "embedding")
                if vectors.dimension == 0 { vectors.dimension = rowDimension }
                let dimension = vectors.dimension
                // Dividing the blob's size, not multiplying the stored dimension, which could overflow.
                guard rowDimension == dimension, dimension > 0, blob.count % MemoryLayout<Float>.size == 0,
                      blob.count / MemoryLayout<Float>.size == dimension else {
                    throw IndexError.notAnIndex(path: path, reason: "a \(model) vector has size \(blob.count / 4), others \(dimension)")
                }
                let start = vectors.matrix.count
                vectors.matrix.append(contentsOf: repeatElement(0, count: dimension))
                vectors.matrix.withUnsafeMutableBytes { out in
                    _ = blob.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: out[(start * 4)...]))
                }
                let itemId = try row.decode(Int64.self, forColumn: "itemId")
                let group: Int32
                if let known = groupOfItem[itemId] { group = known } else {
                    group = Int32(vectors.itemIds.count)
                    groupOfItem[itemId] = group
                    vectors.itemIds.append(itemId)
                    vectors.modalities.append(Modality(rawValue: try row.decode(String.self, forColumn: "modality")) ?? .text)
                    vectors.hashes.append(try row.decode(String.self, forColumn: "contentHash"))
                }
                vectors.segmentIds.append(try row.decode(Int64?.self, forColumn: "segmentId"))
                vectors.groups.append(group)
            }
            return vectors
        }
    }
}
