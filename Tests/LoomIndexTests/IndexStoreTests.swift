import Foundation
import GRDB
@testable import LoomIndex
import LoomTestSupport
import Testing

/// The index file: creation, schema version, refusal of missing, newer and foreign files.
@Suite("Index store")
struct IndexStoreTests {
    @Test func createsVersionedSchemaAndReopens() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("media.loom")
        let store = try IndexStore(url: url, create: true)
        let (version, appID, tables, journal) = try store.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version")!, try Int32.fetchOne(db, sql: "PRAGMA application_id")!,
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb%' AND name NOT LIKE 'sqlite%' ORDER BY name"),
             try String.fetchOne(db, sql: "PRAGMA journal_mode")!)
        }
        #expect(version == IndexSchema.version)
        #expect(appID == IndexSchema.applicationID)
        #expect(tables == ["items", "segments", "settings", "vectors"])
        #expect(journal == "wal", "WAL lets searches read while an indexing run writes")
        _ = try IndexStore(url: url, create: false)
    }

    @Test func missingIndexSaysToRunLoomIndex() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).loom")
        #expect(throws: IndexError.missingIndex(path: url.path)) { try IndexStore(url: url, create: false) }
        #expect(IndexError.missingIndex(path: url.path).description.contains("loom index"))
        #expect(!FileManager.default.fileExists(atPath: url.path), "a failed open must not create the file")
    }

    @Test func newerSchemaIsRefusedNamingTheFile() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("future.loom")
        do {
            let store = try IndexStore(url: url, create: true)
            try store.write { try $0.execute(sql: "PRAGMA user_version = 7") }
        }
        let error = #expect(throws: IndexError.self) { try IndexStore(url: url, create: false) }
        #expect(error == .newerSchema(path: url.path, fileVersion: 7, supportedVersion: IndexSchema.version))
        #expect(error?.description.contains(url.path) == true)
        #expect(error?.description.contains("newer Loom") == true)
    }

    @Test func unknownMigrationIsRefused() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("future.loom")
        do {
            let store = try IndexStore(url: url, create: true)
            try store.write { try $0.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v99')") }
        }
        #expect(throws: IndexError.self) { try IndexStore(url: url, create: true) }
    }

    @Test func foreignFilesAreRefused() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A photo passed as the index: refused before SQLite sees it, and left unchanged.
        let photo = folder.appendingPathComponent("photo.loom")
        try FileManager.default.copyItem(at: Fixtures.sample("images/hopper.jpg"), to: photo)
        let before = try Data(contentsOf: photo)
        #expect(throws: IndexError.notAnIndex(path: photo.path, reason: "not an SQLite database")) {
            try IndexStore(url: photo, create: true)
        }
        #expect(try Data(contentsOf: photo) == before)
        // Another application's SQLite database.
        let other = folder.appendingPathComponent("other.sqlite")
        try DatabaseQueue(path: other.path).write { try $0.execute(sql: "CREATE TABLE t(x)") }
        #expect(throws: IndexError.notAnIndex(path: other.path, reason: "an SQLite database of another application")) {
            try IndexStore(url: other, create: true)
        }
        #expect(throws: IndexError.notAnIndex(path: folder.path, reason: "it is a folder")) {
            try IndexStore(url: folder, create: true)
        }
    }

    @Test func replaceStoresAndDeleteCascades() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try IndexStore(url: folder.appendingPathComponent("a.loom"), create: true)
        let item = IndexedItem(path: "/x/a.wav", contentHash: "abc", modality: .audio, size: 10, mtime: 1, fingerprint: "f")
        let content = ItemContent(
            item: item,
            segments: [(IndexedSegment(kind: .transcript, ordinal: 0, start: 1.5, end: 3.25, text: "hello"), [0.6, 0.8]),
                       (IndexedSegment(kind: .filename, ordinal: 0, text: "a"), [1, 0])],
            itemVectors: [("img", [0, 0, 1])], textModel: "m")
        let stored = try store.replace(with: content)
        let round = try store.content(of: stored, textModel: "m")
        #expect(round.segments.map(\.segment.text) == ["hello", "a"])
        #expect(round.segments.map(\.vector) == [[0.6, 0.8], [1, 0]])
        #expect(round.segments[0].segment.start == 1.5 && round.segments[0].segment.end == 3.25)
        #expect(round.itemVectors.map(\.vector) == [[0, 0, 1]])
        // Replacing at the same path leaves one item.
        try store.replace(with: content)
        #expect(try store.counts().items == 1)
        try store.delete(itemIds: [try #require(try store.item(path: "/x/a.wav")?.id)])
        let counts = try store.counts()
        #expect(counts.items == 0 && counts.segments == 0 && counts.vectors == 0)
    }
}
