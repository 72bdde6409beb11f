import Foundation
import GRDB
@testable import LoomIndex
import LoomTestSupport
import Testing

/// Index files that claim to be Loom indexes (application id, schema version, migrations) but whose
/// tables were damaged or edited, as Fuzz/ (fuzz-index) made them: each read is refused with an
/// IndexError naming the file, never a crash or a raw GRDB error.
@Suite struct IndexBadInputTests {
    /// A one-item index, then `damage` run on it with SQLite directly.
    private func damagedIndex(_ folder: URL, _ damage: String) throws -> URL {
        let url = folder.appendingPathComponent("damaged.loom")
        let store = try SQLiteIndexStore(url: url, create: true)
        let item = IndexedItem(path: "/x/a.wav", contentHash: "abc", modality: .audio, size: 10, mtime: 1, fingerprint: "f")
        try store.replace(with: ItemContent(
            item: item, segments: [(IndexedSegment(kind: .transcript, ordinal: 0, start: 0, end: 1, text: "hi"), [0.6, 0.8])],
            textModel: "m"))
        try store.write { try $0.execute(sql: damage) }
        return url
    }

    private func expectRefusal(_ url: URL, _ body: (SQLiteIndexStore) throws -> Void) throws {
        let error = #expect(throws: IndexError.self) { try body(try SQLiteIndexStore(url: url, create: false)) }
        print("expected error:", error.map { "\($0)" } ?? "none")
        #expect(error?.description.contains(url.path) == true)
    }

    /// Found by fuzz-index: a renamed column made every item read throw GRDB's RowDecodingError,
    /// which did not say which file was damaged.
    @Test func aMissingColumnIsADamagedIndexNamingTheFile() throws {
        let folder = try Fixtures.temporaryDirectory("index-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try damagedIndex(folder, "ALTER TABLE items RENAME COLUMN status TO ytatus")
        try expectRefusal(url) { _ = try $0.allItems() }
    }

    /// Found by fuzz-index: a NULL in a table without Loom's NOT NULL constraints trapped in GRDB's
    /// `row["key"]` (a `try!`) while reading the settings.
    @Test func nullSettingsAreADamagedIndex() throws {
        let folder = try Fixtures.temporaryDirectory("index-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try damagedIndex(folder, "DROP TABLE settings; CREATE TABLE settings(key, value); INSERT INTO settings VALUES (NULL, NULL)")
        try expectRefusal(url) { _ = try $0.settings() }
    }

    /// Vectors the searcher cannot read: a dimension whose byte size overflows Int, an embedding that
    /// is not a blob, NULL item columns. Each trapped (overflow or GRDB `try!`) before.
    @Test(arguments: [
        "UPDATE vectors SET dimension = 4611686018427387904",
        "UPDATE vectors SET embedding = 7",
        "ALTER TABLE items DROP COLUMN modality; ALTER TABLE items ADD COLUMN modality",
        "DROP INDEX items_on_contentHash; ALTER TABLE items DROP COLUMN contentHash; ALTER TABLE items ADD COLUMN contentHash",
    ])
    func unreadableVectorsAreADamagedIndex(damage: String) throws {
        let folder = try Fixtures.temporaryDirectory("index-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try damagedIndex(folder, damage)
        try expectRefusal(url) { _ = try IndexSearcher(store: $0).load(model: "m") }
    }
}
