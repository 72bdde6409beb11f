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
        let store = try SQLiteIndexStore(url: url, create: true)
        let (version, appID, tables, journal) = try store.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version")!, try Int32.fetchOne(db, sql: "PRAGMA application_id")!,
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb%' AND name NOT LIKE 'sqlite%' ORDER BY name"),
             try String.fetchOne(db, sql: "PRAGMA journal_mode")!)
        }
        #expect(version == IndexSchema.version)
        #expect(appID == IndexSchema.applicationID)
        #expect(tables == ["items", "segments", "settings", "vectors"])
        #expect(journal == "wal", "WAL lets searches read while an indexing run writes")
        _ = try SQLiteIndexStore(url: url, create: false)
    }

    @Test func missingIndexSaysToRunLoomIndex() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).loom")
        #expect(throws: IndexError.missingIndex(path: url.path)) { try SQLiteIndexStore(url: url, create: false) }
        #expect(IndexError.missingIndex(path: url.path).description.contains("loom index"))
        #expect(!FileManager.default.fileExists(atPath: url.path), "a failed open must not create the file")
    }

    @Test func newerSchemaIsRefusedNamingTheFile() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("future.loom")
        do {
            let store = try SQLiteIndexStore(url: url, create: true)
            try store.write { try $0.execute(sql: "PRAGMA user_version = 7") }
        }
        let error = #expect(throws: IndexError.self) { try SQLiteIndexStore(url: url, create: false) }
        #expect(error == .newerSchema(path: url.path, fileVersion: 7, supportedVersion: IndexSchema.version))
        #expect(error?.description.contains(url.path) == true)
        #expect(error?.description.contains("newer Loom") == true)
    }

    /// Two runs creating the same new index at once: both open it (one waits for the other's
    /// schema transaction), instead of one failing with "not a Loom index".
    @Test func concurrentCreatorsBothOpenTheNewIndex() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let failures = Failures()
        for round in 0..<40 {
            let url = folder.appendingPathComponent("race\(round).loom")
            DispatchQueue.concurrentPerform(iterations: 3) { _ in
                do { _ = try SQLiteIndexStore(url: url, create: true) } catch { failures.add("\(error)") }
            }
            let store = try SQLiteIndexStore(url: url, access: .read)
            #expect(try store.settings().isEmpty && store.counts().items == 0)
        }
        #expect(failures.all.isEmpty, "\(failures.all.count) openers failed, e.g. \(failures.all.first ?? "")")
    }

    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var errors: [String] = []
        func add(_ error: String) { lock.lock(); errors.append(error); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return errors }
    }

    /// Reading opens the file read-only: writes are refused with an error naming it, and an empty
    /// or missing file is "no index here", with nothing created.
    @Test func readAccessWritesNothing() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("media.loom")
        try SQLiteIndexStore(url: url, create: true).setSettings(["text.model": "m"])
        do {
            let reader = try SQLiteIndexStore(url: url, access: .read)
            #expect(try reader.settings() == ["text.model": "m"])
            #expect(throws: IndexError.database(path: url.path, reason: "opened for searching, which writes nothing")) {
                try reader.setSettings(["text.model": "other"])
            }
        }
        #expect(try SQLiteIndexStore(url: url, access: .read).settings() == ["text.model": "m"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("media.loom-") }
        #expect(leftovers.isEmpty, "a search leaves no WAL files behind: \(leftovers)")

        let empty = folder.appendingPathComponent("empty.loom")
        #expect(FileManager.default.createFile(atPath: empty.path, contents: nil))
        #expect(throws: IndexError.missingIndex(path: empty.path)) { try SQLiteIndexStore(url: empty, access: .read) }
        #expect(try Data(contentsOf: empty).isEmpty, "reading does not make a database of it")
        let missing = folder.appendingPathComponent("missing.loom")
        #expect(throws: IndexError.missingIndex(path: missing.path)) { try SQLiteIndexStore(url: missing, access: .read) }
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }

    /// A write-protected index and folder (`chmod a-w`): searching reads it; writing is refused
    /// naming the file. Root ignores permissions, so there the CLI test covers a read-only mount.
    @Test func writeProtectedIndexIsReadAndNotWritten() throws {
        guard geteuid() != 0 else { return }
        let folder = try Fixtures.temporaryDirectory("index-store")
        let url = folder.appendingPathComponent("media.loom")
        try SQLiteIndexStore(url: url, create: true).setSettings(["text.model": "m"])
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: url.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            try? FileManager.default.removeItem(at: folder)
        }
        #expect(try SQLiteIndexStore(url: url, access: .read).settings() == ["text.model": "m"])
        #expect(throws: IndexError.readOnly(path: url.path)) { try SQLiteIndexStore(url: url, create: true) }
    }

    /// NaN or infinite times and vectors are refused when stored, naming the file; an index that
    /// already holds them (written before this check) still searches: such rows are left out and
    /// such times dropped, so ranking and JSON output keep working.
    @Test func nonFiniteValuesAreRefusedAndSkippedWhenAlreadyStored() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteIndexStore(url: folder.appendingPathComponent("a.loom"), create: true)
        func content(_ path: String, vector: [Float], start: Double = 1) -> ItemContent {
            ItemContent(item: IndexedItem(path: path, contentHash: path, modality: .audio, size: 1, mtime: 1, fingerprint: "f"),
                        segments: [(IndexedSegment(kind: .transcript, ordinal: 0, start: start, end: 2, text: "words"), vector)],
                        textModel: "m")
        }
        let nan = #expect(throws: IndexError.self) { try store.replace(with: content("/x/nan.wav", vector: [.nan, 1])) }
        #expect(nan?.description.hasPrefix("/x/nan.wav: the vector of transcript segment 0 is NaN or infinite") == true, "\(String(describing: nan))")
        let time = #expect(throws: IndexError.self) { try store.replace(with: content("/x/inf.wav", vector: [1, 0], start: .infinity)) }
        #expect(time?.description.hasPrefix("/x/inf.wav: the start time of transcript segment 0 (inf)") == true, "\(String(describing: time))")
        #expect(try store.counts().items == 0, "nothing of a refused file is stored")

        // Written as an older Loom could: a NaN vector, and an infinite time on a good one.
        try store.replace(with: content("/x/good.wav", vector: [1, 0]))
        try store.replace(with: content("/x/fair.wav", vector: [0.6, 0.8]))
        try store.replace(with: content("/x/nan.wav", vector: [0.5, 0.5]))
        try store.write { db in
            try db.execute(sql: "UPDATE vectors SET embedding = ? WHERE itemId = (SELECT id FROM items WHERE path = '/x/nan.wav')",
                           arguments: [[Float.nan, .nan].withUnsafeBufferPointer { Data(buffer: $0) }])
            try db.execute(sql: "UPDATE segments SET start = 1e999 WHERE itemId = (SELECT id FROM items WHERE path = '/x/good.wav')")
        }
        let hits = try IndexSearcher(store: store).search([QueryVector(model: "m", vector: [1, 0])])
        #expect(hits.map(\.path) == ["/x/good.wav", "/x/fair.wav"])
        #expect(hits[0].start == nil && hits[0].end == 2, "an infinite time is no time")
        let json = try JSONEncoder().encode(hits)
        #expect(!json.isEmpty)
    }

    @Test func foreignFilesAreRefused() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A photo passed as the index: refused before SQLite sees it, and left unchanged.
        let photo = folder.appendingPathComponent("photo.loom")
        try FileManager.default.copyItem(at: Fixtures.sample("images/hopper.jpg"), to: photo)
        let before = try Data(contentsOf: photo)
        #expect(throws: IndexError.notAnIndex(path: photo.path, reason: "not an SQLite database")) {
            try SQLiteIndexStore(url: photo, create: true)
        }
        #expect(try Data(contentsOf: photo) == before)
        // Another application's SQLite database.
        let other = folder.appendingPathComponent("other.sqlite")
        try DatabaseQueue(path: other.path).write { try $0.execute(sql: "CREATE TABLE t(x)") }
        #expect(throws: IndexError.notAnIndex(path: other.path, reason: "an SQLite database of another application")) {
            try SQLiteIndexStore(url: other, create: true)
        }
        #expect(throws: IndexError.notAnIndex(path: folder.path, reason: "it is a folder")) {
            try SQLiteIndexStore(url: folder, create: true)
        }
    }

    @Test func replaceStoresAndDeleteCascades() throws {
        let folder = try Fixtures.temporaryDirectory("index-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteIndexStore(url: folder.appendingPathComponent("a.loom"), create: true)
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
