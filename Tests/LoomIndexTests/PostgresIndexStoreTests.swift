import Foundation
@testable import LoomIndex
import LoomPostgres
import LoomTestSupport
import Testing

/// What only the PostgreSQL backend has: a database to find (or not) an index in, a schema shared
/// with other applications, several processes creating it at once, a server that restarts; and the
/// same ranked results as the SQLite file for the same corpus.
@Suite("PostgreSQL index store")
struct PostgresIndexStoreTests {
    func database(_ label: String = "pgindex") throws -> URL? {
        try PostgresTestCluster.shared()?.createDatabase(label)
    }

    @Test func aDatabaseWithoutAnIndexIsMissingUntilCreated() throws {
        guard let url = try database() else { return }
        let location = PostgresConnection.location(of: url)
        for access in [IndexAccess.read, .write] {
            let error = #expect(throws: IndexError.self) { try openIndex(url: url, access: access) }
            #expect(error == .missingIndex(path: location))
        }
        #expect(try openIndex(url: url, access: .create).counts() == (0, 0, 0, 0))
        #expect(try openIndex(url: url, access: .read).location == location)
    }

    @Test func aMissingDatabaseSaysToCreateIt() throws {
        guard let made = try database() else { return }
        let url = try #require(URL(string: made.absoluteString + "_absent"))
        let error = #expect(throws: IndexError.self) { try openIndex(url: url, access: .create) }
        #expect(error?.description.contains("create the database first (createdb)") == true, "\(String(describing: error))")
    }

    @Test func aNewerOrForeignSchemaIsRefused() throws {
        guard let newer = try database(), let foreign = try database() else { return }
        _ = try openIndex(url: newer, access: .create)
        try PostgresConnection(url: newer).query("INSERT INTO loom.schema_migrations (version) VALUES (99)")
        let tooNew = #expect(throws: IndexError.self) { try openIndex(url: newer, access: .write) }
        #expect(tooNew == .newerSchema(path: PostgresConnection.location(of: newer), fileVersion: 99, supportedVersion: 1))

        let other = try PostgresConnection(url: foreign)
        try other.query("CREATE SCHEMA loom")
        try other.query("CREATE TABLE loom.items (id integer)")
        let notOurs = #expect(throws: IndexError.self) { try openIndex(url: foreign, access: .create) }
        guard case .notAnIndex = notOurs else { Issue.record("\(String(describing: notOurs))"); return }
    }

    /// The work queue's tables (`loom.work`, `loom.queue_migrations`) are Loom's own: a database
    /// holding the queue takes the index beside it (QueueFaultTests runs both in one database).
    @Test func theWorkQueuesTablesAreNotForeign() throws {
        guard let url = try database() else { return }
        let db = try PostgresConnection(url: url)
        try db.query("CREATE SCHEMA loom")
        for table in PostgresIndexSchema.queueTables { try db.query("CREATE TABLE loom.\(table) (id integer)") }
        #expect(try openIndex(url: url, access: .create).counts() == (0, 0, 0, 0))
    }

    /// Two runs creating the index at once: the advisory lock orders them, the second finds it made.
    @Test func concurrentCreationMakesTheSchemaOnce() async throws {
        guard let url = try database() else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try openIndex(url: url, access: .create) } }
            try await group.waitForAll()
        }
        #expect(try PostgresConnection(url: url).query("SELECT count(*) FROM loom.schema_migrations").int(0, 0) == 1)
    }

    /// The same files through the same builder into both backends: every search ranks the same
    /// items and segments with the same scores (both scan the same float32 vectors with BLAS).
    @Test func bothBackendsRankTheSameCorpusAlike() throws {
        guard let url = try database() else { return }
        let folder = try Fixtures.temporaryDirectory("pg-parity")
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("corpus")
        try writeTexts(corpus, sampleTexts)
        try FileManager.default.copyItem(at: Fixtures.sample("audio/arctic_a0007.wav"), to: corpus.appendingPathComponent("arctic.wav"))
        try FileManager.default.copyItem(at: Fixtures.sample("images/chelsea.jpg"), to: corpus.appendingPathComponent("cat photo.jpg"))
        let stores: [any IndexStoring] = [try openIndex(url: folder.appendingPathComponent("media.loom"), access: .create),
                                          try openIndex(url: url, access: .create)]
        for store in stores {
            let summary = try IndexBuilder(store: store, textEmbedder: HashingTextEmbedder(), transcriber: FakeTranscriber())
                .index(try IndexBuilder.files(in: [corpus], recursive: true))
            #expect(summary.added == 5 && summary.failed == 0)
        }
        #expect(try stores[0].counts() == stores[1].counts())
        let queries = ["tomatoes need sun", "oil change for the engine", "bread", "spoken words", "cat photo", "nothing like this"]
        for query in queries {
            for groupByItem in [true, false] {
                var options = SearchOptions()
                options.groupByItem = groupByItem
                options.k = 20
                let vector = QueryVector(model: "hashing-64", vector: HashingTextEmbedder.vector(query))
                let hits = try stores.map { try IndexSearcher(store: $0).search([vector], options: options) }
                #expect(!hits[0].isEmpty)
                func shown(_ hit: SearchHit) -> String { "\(hit.path) \(hit.match) \(hit.text ?? "") \(hit.start ?? -1) \(hit.score)" }
                #expect(hits[0].map(shown) == hits[1].map(shown), "\(query), grouped \(groupByItem)")
            }
        }
    }

    /// A restart cuts the store's connection: its next read and write reconnect and succeed.
    @Test func theStoreReconnectsAfterAServerRestart() throws {
        guard PostgresTestCluster.shared() != nil else { return }
        let cluster = try PostgresTestCluster.startPrivate()
        defer { cluster.stopAndRemove() }
        let store = try openIndex(url: try cluster.createDatabase("restart"), access: .create)
        let item = IndexedItem(path: "/a.txt", contentHash: "a", modality: .text, size: 1, mtime: 1, fingerprint: "f")
        try store.replace(with: ItemContent(item: item, segments: [(IndexedSegment(kind: .chunk, ordinal: 0, text: "a"), [1, 0])],
                                            textModel: "m"))
        try cluster.restart()
        #expect(try store.counts() == (1, 0, 1, 1))
        try cluster.restart()
        var second = item
        second.path = "/b.txt"
        try store.replace(with: ItemContent(item: second, textModel: "m"))
        #expect(try store.allItems().map(\.path) == ["/a.txt", "/b.txt"])
    }
}
