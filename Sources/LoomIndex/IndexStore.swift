import Foundation
import GRDB

/// One index file: SQLite through a GRDB `DatabasePool` in WAL mode, so searches read while an
/// indexing run writes. Every change is one transaction, so an interrupted run keeps what it
/// committed and leaves nothing half-written.
public final class IndexStore: Sendable {
    /// The default index file name, in the current directory.
    public static let defaultFileName = "media.loom"

    public let url: URL
    let pool: DatabasePool

    /// Opens the index at `url`; with `create`, a missing file is created, otherwise it is an error
    /// that says to run `loom index`. A file from a newer Loom or not an index is refused unchanged.
    public init(url: URL, create: Bool) throws {
        self.url = url.standardizedFileURL
        let path = self.url.path
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue { throw IndexError.notAnIndex(path: path, reason: "it is a folder") }
        if !exists && !create { throw IndexError.missingIndex(path: path) }
        if exists { try Self.checkHeader(path) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)  // another writer (a second `loom index`) holds the lock
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try IndexSchema.prepare(pool, path: path)
        } catch let error as IndexError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw IndexError.notAnIndex(path: path, reason: "not an SQLite database")
        } catch {
            throw IndexError.database(path: path, reason: "\(error)")
        }
    }

    /// SQLite files start with "SQLite format 3\0"; anything else (an image passed by mistake) is
    /// refused before SQLite sees it. An empty file is a new database.
    static func checkHeader(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IndexError.database(path: path, reason: "cannot be read (permissions?)")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if !head.isEmpty && head != Data("SQLite format 3\0".utf8) {
            throw IndexError.notAnIndex(path: path, reason: "not an SQLite database")
        }
    }

    /// Runs `body` in one write transaction; database errors name the index file.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError {
            throw IndexError.database(path: url.path, reason: "\(error)")
        } catch let error as RowDecodingError {
            throw damaged(error)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError {
            throw IndexError.database(path: url.path, reason: "\(error)")
        } catch let error as RowDecodingError {
            throw damaged(error)
        }
    }

    /// A row that does not decode (a column missing or holding the wrong type): the file claims to
    /// be a Loom index but its tables are not what Loom wrote.
    private func damaged(_ error: RowDecodingError) -> IndexError {
        .notAnIndex(path: url.path, reason: "its tables are damaged or not Loom's: \(error)")
    }

    // MARK: settings

    /// The models the index was built with: keys like `text.model`, `text.path`, `image.model`.
    public func settings() throws -> [String: String] {
        try read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT key, value FROM settings").map {
                (try $0.decode(String.self, forColumn: "key"), try $0.decode(String.self, forColumn: "value"))
            }, uniquingKeysWith: { $1 })
        }
    }

    func setSettings(_ values: [String: String]) throws {
        try write { db in
            for (key, value) in values {
                try db.execute(sql: "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
    }

    // MARK: items

    public func item(path: String) throws -> IndexedItem? {
        try read { try IndexedItem.filter(Column("path") == path).fetchOne($0) }
    }

    public func items(contentHash: String) throws -> [IndexedItem] {
        try read { try IndexedItem.filter(Column("contentHash") == contentHash).order(Column("id")).fetchAll($0) }
    }

    public func allItems() throws -> [IndexedItem] {
        try read { try IndexedItem.order(Column("path")).fetchAll($0) }
    }

    public func segments(itemId: Int64) throws -> [IndexedSegment] {
        try read { db in
            try IndexedSegment.filter(Column("itemId") == itemId).order(Column("kind"), Column("ordinal")).fetchAll(db)
        }
    }

    /// Stores `content` in one transaction, first removing whatever the index held at its path.
    @discardableResult
    public func replace(with content: ItemContent) throws -> IndexedItem {
        try write { try Self.insert(content, db: $0) }
    }

    /// Stores many items in one transaction (bulk loads; an indexing run commits file by file).
    public func replace(with contents: [ItemContent]) throws {
        try write { db in for content in contents { try Self.insert(content, db: db) } }
    }

    @discardableResult
    static func insert(_ content: ItemContent, db: Database) throws -> IndexedItem {
        try IndexedItem.filter(Column("path") == content.item.path).deleteAll(db)
        var item = content.item
        item.id = nil
        try item.insert(db)
        let itemId = item.id!
        for (segment, vector) in content.segments {
            var segment = segment
            segment.id = nil
            segment.itemId = itemId
            try segment.insert(db)
            if let vector {
                var stored = StoredVector(itemId: itemId, segmentId: segment.id, model: content.textModel, vector: vector)
                try stored.insert(db)
            }
        }
        for (model, vector) in content.itemVectors {
            var stored = StoredVector(itemId: itemId, segmentId: nil, model: model, vector: vector)
            try stored.insert(db)
        }
        return item
    }

    /// The stored content of an item (segments with their text vectors, item vectors), for copying
    /// it to a duplicate or carrying captions over.
    func content(of item: IndexedItem, textModel: String) throws -> ItemContent {
        try read { db in
            let segments = try IndexedSegment.filter(Column("itemId") == item.id!).order(Column("id")).fetchAll(db)
            let vectors = try StoredVector.filter(Column("itemId") == item.id!).fetchAll(db)
            let bySegment = Dictionary(vectors.compactMap { v in v.segmentId.map { ($0, v) } }.filter { $0.1.model == textModel },
                                       uniquingKeysWith: { a, _ in a })
            return ItemContent(
                item: item,
                segments: segments.map { ($0, bySegment[$0.id!].map { Self.floats($0.embedding) }) },
                itemVectors: vectors.filter { $0.segmentId == nil }.map { ($0.model, Self.floats($0.embedding)) },
                textModel: textModel)
        }
    }

    /// Points an item at a new path (a moved file) and updates its file facts, in one transaction;
    /// `filename` replaces the file-name segment when the name changed.
    func move(_ item: IndexedItem, to path: String, size: Int64, mtime: Double,
              filename: (segment: IndexedSegment, vector: [Float], model: String)?) throws {
        try write { db in
            try IndexedItem.filter(Column("path") == path).deleteAll(db)
            var moved = item
            moved.path = path
            moved.size = size
            moved.mtime = mtime
            try moved.update(db)
            guard let filename else { return }
            try IndexedSegment.filter(Column("itemId") == item.id! && Column("kind") == SegmentKind.filename.rawValue).deleteAll(db)
            var segment = filename.segment
            segment.itemId = item.id!
            try segment.insert(db)
            var stored = StoredVector(itemId: item.id!, segmentId: segment.id, model: filename.model, vector: filename.vector)
            try stored.insert(db)
        }
    }

    /// Records new file facts for an unchanged item (a touched file with the same bytes).
    func touch(_ item: IndexedItem, size: Int64, mtime: Double) throws {
        try write { db in
            try db.execute(sql: "UPDATE items SET size = ?, mtime = ? WHERE id = ?", arguments: [size, mtime, item.id!])
        }
    }

    /// Removes items (their segments and vectors go with them), in one transaction.
    public func delete(itemIds: [Int64]) throws {
        guard !itemIds.isEmpty else { return }
        try write { db in _ = try IndexedItem.filter(keys: itemIds).deleteAll(db) }
    }

    /// Counts of items by status, segments and vectors.
    public func counts() throws -> (items: Int, failed: Int, segments: Int, vectors: Int) {
        try read { db in
            (try IndexedItem.fetchCount(db),
             try IndexedItem.filter(Column("status") == ItemStatus.failed.rawValue).fetchCount(db),
             try IndexedSegment.fetchCount(db),
             try StoredVector.fetchCount(db))
        }
    }

    static func floats(_ data: Data) -> [Float] {
        var result = [Float](repeating: 0, count: data.count / MemoryLayout<Float>.size)
        result.withUnsafeMutableBytes { out in _ = data.copyBytes(to: out) }
        return result
    }
}

extension IndexStore {
    /// Replaces an item's segments of one kind and source (e.g. the captions of one captioner) with
    /// new ones and their text vectors, in one transaction.
    func replaceSegments(of item: IndexedItem, kind: SegmentKind, source: String?,
                         with segments: [(segment: IndexedSegment, vector: [Float])], model: String) throws {
        try write { db in
            var old = IndexedSegment.filter(Column("itemId") == item.id! && Column("kind") == kind.rawValue)
            old = source.map { old.filter(Column("source") == $0) } ?? old.filter(Column("source") == nil)
            try old.deleteAll(db)
            for (segment, vector) in segments {
                var segment = segment
                segment.itemId = item.id!
                try segment.insert(db)
                var stored = StoredVector(itemId: item.id!, segmentId: segment.id, model: model, vector: vector)
                try stored.insert(db)
            }
        }
    }
}
