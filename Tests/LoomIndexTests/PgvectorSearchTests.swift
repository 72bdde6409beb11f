import Foundation
@testable import LoomIndex
import LoomPostgres
import LoomTestSupport
import Testing

/// The PostgreSQL index's pgvector path, on the PostgreSQL 18 + pgvector 0.8 build that
/// Scripts/pgvector-venv installs (PostgresTestCluster.sharedPgvector): searches run in the database
/// through one HNSW index per model and dimension, find what Loom's exact scan finds (recall@10 at
/// least 0.95 on random unit vectors, equal scores to 1e-5), and fall back to the exact scan, saying
/// why, where pgvector cannot be used. The contract suite runs on this build too
/// (IndexStoreContractTests, backend "PostgreSQL+pgvector").
@Suite("pgvector search")
struct PgvectorSearchTests {
    func database(_ label: String = "pgvector") throws -> URL? {
        try PostgresTestCluster.sharedPgvector()?.createDatabase(label)
    }

    /// `url` with `query` appended (`loom_search=exact`).
    func with(_ url: URL, _ query: String) -> URL { URL(string: url.absoluteString + "?" + query)! }

    @Test func pgvectorIsTestedWhereRequired() {
        // Prints the skip note, or fails under LOOM_REQUIRE_MODELS=1, when the venv is missing.
        if !PostgresTestCluster.hasPgvector { _ = PostgresTestCluster.sharedPgvector() }
    }

    @Test func searchParametersAreReadAndLeftOutOfTheConnection() throws {
        let url = try #require(URL(string: "postgres://u:pw@h:5/db?sslmode=disable&loom_search=exact&loom_ef_search=200"))
        let (options, connection) = try PostgresSearchOptions.parse(url, location: "postgres://u@h:5/db")
        #expect(options == PostgresSearchOptions(mode: .exact, efSearch: 200))
        #expect(connection.absoluteString == "postgres://u:pw@h:5/db?sslmode=disable", "libpq refuses parameters it does not know")
        let plain = try #require(URL(string: "postgres://u@h/db"))
        let unchanged = try PostgresSearchOptions.parse(plain, location: "x")
        #expect(unchanged.options == PostgresSearchOptions() && unchanged.connectionURL == plain)
        #expect(try PostgresSearchOptions.parse(try #require(URL(string: "postgres://h/db?loom_search=pgvector")), location: "x")
            .connectionURL.absoluteString == "postgres://h/db")

        let badMode = #expect(throws: IndexError.self) {
            try PostgresSearchOptions.parse(try #require(URL(string: "postgres://h/db?loom_search=fast")), location: "postgres://h/db")
        }
        #expect(badMode?.description == "postgres://h/db: database error: loom_search=fast is not a search mode; write "
            + "loom_search=auto, loom_search=exact, loom_search=pgvector (auto: pgvector where the server has it)")
        for value in ["0", "5000", "many"] {
            let badEf = #expect(throws: IndexError.self) {
                try PostgresSearchOptions.parse(try #require(URL(string: "postgres://h/db?loom_ef_search=\(value)")), location: "postgres://h/db")
            }
            #expect(badEf?.description == "postgres://h/db: database error: loom_ef_search=\(value) is not a number from 1 to 1000 "
                + "(pgvector's hnsw.ef_search)")
        }
    }

    static func unitVector(_ dimension: Int, seed: UInt64) -> [Float] {
        var random = IndexStoreContractTests.Vectors(state: seed)
        return random.next(dimension)
    }

    /// Random unit vectors, several per item (so one match per item groups), on two modalities.
    static func fill(_ store: any IndexStoring, items: Int, dimension: Int, model: String, seed: UInt64) throws {
        var random = IndexStoreContractTests.Vectors(state: seed)
        let contents = (0..<items).map { i in
            ItemContent(item: IndexStoreContractTests.item("/r/\(i)", hash: "h\(i)", modality: i % 2 == 0 ? .text : .audio),
                        segments: (0...(i % 3)).map { (IndexStoreContractTests.segment(.chunk, $0, "t"), random.next(dimension)) },
                        textModel: model)
        }
        try store.replace(with: contents)
    }

    /// The HNSW index is made with the first vectors of a model, and the search statement walks it.
    @Test func theFirstVectorsOfAModelBuildItsHNSWIndexWhichSearchesUse() throws {
        guard let url = try database() else { return }
        let store = try #require(try openIndex(url: url, access: .create) as? PostgresIndexStore)
        #expect(store.searchesInDatabase && store.notes.said.isEmpty, "\(store.notes.said)")
        try Self.fill(store, items: 1500, dimension: 64, model: "minilm", seed: 3)

        let db = try PostgresConnection(url: url)
        let name = PostgresVectorSearch.indexName(model: "minilm", dimension: 64)
        let definition = try db.query("SELECT indexdef FROM pg_indexes WHERE schemaname = 'loom' AND indexname = $1", [.text(name)])
        #expect(definition.string(0, 0) == "CREATE INDEX \(name) ON loom.vectors USING hnsw (((embedding)::vector(64)) vector_cosine_ops) "
            + "WITH (m='16', ef_construction='300') WHERE ((model = 'minilm'::text) AND (dimension = 64))")
        try db.query("ANALYZE")  // as autovacuum would soon: the planner weighs the index by the rows it expects

        let search = try #require(store.vectorSearch)
        var filter = VectorFilter()
        filter.modalities = [.audio]
        filter.excludedHashes = ["h1"]
        let query = Self.unitVector(64, seed: 99)
        let sql = try search.statement(model: "minilm", dimension: 64, db: db)
        let plan = try db.query("EXPLAIN " + sql, search.parameters(query: query, filter: filter, limit: 40))
        let lines = (0..<plan.count).compactMap { plan.string($0, 0) }
        #expect(lines.contains { $0.contains("Index Scan using \(name) on vectors") }, "\(lines.joined(separator: "\n"))")

        let found = try store.nearest(to: query, model: "minilm", k: 10, filter: filter)
        #expect(found.count == 10)
        let items = try store.records(itemIds: found.map(\.itemId), segmentIds: []).items
        #expect(found.allSatisfy { items[$0.itemId]?.modality == .audio && items[$0.itemId]?.contentHash != "h1" })
        #expect(Set(found.map(\.itemId)).count == 10, "one match per item")
    }

    /// recall@10 of the HNSW path against Loom's exact scan of the same database (`loom_search=exact`),
    /// per item and per vector, with and without filters; the scores of the hits both find agree.
    /// pgvector's own default ef_search (40, through `loom_ef_search`) finds clearly less.
    @Test func findsWhatTheExactScanFinds() throws {
        guard let url = try database() else { return }
        let store = try openIndex(url: url, access: .create)
        try Self.fill(store, items: 2000, dimension: 384, model: "m", seed: 11)
        let exact = try openIndex(url: with(url, "loom_search=exact"), access: .read)
        #expect(store.searchesInDatabase && !exact.searchesInDatabase)
        let exactSearcher = IndexSearcher(store: exact)
        try exactSearcher.load(model: "m")

        var narrowed = VectorFilter()
        narrowed.modalities = [.text]
        narrowed.excludedHashes = ["h0", "h2", "h4"]
        var perVector = VectorFilter()
        perVector.onePerItem = false
        func recall(_ store: any IndexStoring) throws -> (recall: Double, worstScore: Float, milliseconds: Double, exactMilliseconds: Double) {
            var random = IndexStoreContractTests.Vectors(state: 12)
            var (hits, total, worstScore) = (0, 0, Float(0))
            var (seconds, exactSeconds) = (0.0, 0.0)
            for _ in 0..<30 {
                let query = random.next(384)
                for filter in [VectorFilter(), narrowed, perVector] {
                    var start = Date()
                    let found = try store.nearest(to: query, model: "m", k: 10, filter: filter)
                    seconds += Date().timeIntervalSince(start)
                    start = Date()
                    let expected = try exactSearcher.vectors("m").nearest(to: query, model: "m", k: 10, filter: filter)
                    exactSeconds += Date().timeIntervalSince(start)
                    #expect(found.count == 10)
                    let key = { (match: VectorMatch) in "\(match.itemId) \(match.segmentId ?? -1)" }
                    let expectedScores = Dictionary(expected.map { (key($0), $0.score) }, uniquingKeysWith: { a, _ in a })
                    for match in found {
                        guard let score = expectedScores[key(match)] else { continue }
                        hits += 1
                        worstScore = max(worstScore, abs(score - match.score))
                    }
                    total += expected.count
                }
            }
            let searches = Double(total / 10)
            return (Double(hits) / Double(total), worstScore, seconds * 1000 / searches, exactSeconds * 1000 / searches)
        }
        let measured = try recall(store)
        print("pgvector recall@10 \(measured.recall) (ef_search 200), max score difference \(measured.worstScore); "
            + "per search \(measured.milliseconds) ms in PostgreSQL, \(measured.exactMilliseconds) ms exact in memory")
        #expect(measured.recall >= 0.95)
        #expect(measured.worstScore < 1e-5)
        let narrow = try recall(try openIndex(url: with(url, "loom_ef_search=40"), access: .read))
        print("pgvector recall@10 \(narrow.recall) with loom_ef_search=40")
        #expect(narrow.recall < measured.recall - 0.1, "the setting reaches the server")
    }

    /// A database without the extension is searched exactly, saying so; a writer installs it, and a
    /// reader of a model whose index is still missing searches every vector in the database.
    @Test func whatLacksPgvectorIsSaidAndSearchedExactly() throws {
        guard let url = try database() else { return }
        let exactOnly = try openIndex(url: with(url, "loom_search=exact"), access: .create)
        try Self.fill(exactOnly, items: 30, dimension: 16, model: "m", seed: 5)
        let db = try PostgresConnection(url: url)
        #expect(try db.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'").count == 0, "exact search installs nothing")
        let query = Self.unitVector(16, seed: 6)
        let expected = try exactOnly.nearest(to: query, model: "m", k: 5, filter: VectorFilter())

        let reader = try #require(try openIndex(url: url, access: .read) as? PostgresIndexStore)
        #expect(!reader.searchesInDatabase)
        #expect(reader.notes.said == ["the server has pgvector but this database has no `vector` extension; searching exactly. "
            + "`loom index` into it, or `CREATE EXTENSION vector`, installs it"])
        #expect(try reader.nearest(to: query, model: "m", k: 5, filter: VectorFilter()) == expected)
        let required = #expect(throws: IndexError.self) { try openIndex(url: with(url, "loom_search=pgvector"), access: .read) }
        #expect(required?.description.contains("(loom_search=pgvector was asked for)") == true, "\(String(describing: required))")

        let writer = try #require(try openIndex(url: url, access: .write) as? PostgresIndexStore)
        #expect(writer.searchesInDatabase && writer.notes.said.isEmpty)
        let name = PostgresVectorSearch.indexName(model: "m", dimension: 16)
        let reader2 = try #require(try openIndex(url: url, access: .read) as? PostgresIndexStore)
        let found = try reader2.nearest(to: query, model: "m", k: 5, filter: VectorFilter())
        #expect(found.map(\.itemId) == expected.map(\.itemId))
        #expect(zip(found, expected).allSatisfy { abs($0.score - $1.score) < 1e-5 })
        #expect(reader2.notes.said == ["m vectors have no HNSW index yet, so PostgreSQL compares every one; `loom index` into this index builds it"])
        #expect(try db.query("SELECT to_regclass($1) IS NULL", [.text("loom.\(name)")]).bool(0, 0) == true, "a reader builds nothing")

        #expect(try writer.nearest(to: query, model: "m", k: 5, filter: VectorFilter()).map(\.itemId) == expected.map(\.itemId))
        #expect(try db.query("SELECT to_regclass($1) IS NOT NULL", [.text("loom.\(name)")]).bool(0, 0) == true,
                "a writer's first search builds the index of vectors stored before")
    }

    /// pgvector is no trusted extension: a database owner who is no superuser cannot create it, and
    /// gets the exact search with a note (or an error, when pgvector was asked for).
    @Test func aUserWhoCannotCreateTheExtensionSearchesExactly() throws {
        guard let cluster = PostgresTestCluster.sharedPgvector() else { return }
        let admin = try PostgresConnection(url: try cluster.createDatabase("pgvector_admin"))
        let name = "pgvector_plain_\(getpid())"
        try admin.query("CREATE ROLE \(name) LOGIN")
        try admin.query("CREATE DATABASE \(name) OWNER \(name)")
        let url = try #require(URL(string: "postgres://\(name)@127.0.0.1:\(cluster.port)/\(name)"))

        let store = try #require(try openIndex(url: url, access: .create) as? PostgresIndexStore)
        #expect(!store.searchesInDatabase)
        let note = try #require(store.notes.said.first)
        #expect(note.hasPrefix("cannot create the `vector` extension (") && note.contains("permission denied"), "\(note)")
        #expect(note.hasSuffix("A database owner can run `CREATE EXTENSION vector`, or pass ?loom_search=exact to say so"))
        try Self.fill(store, items: 10, dimension: 8, model: "m", seed: 1)
        #expect(try store.nearest(to: Self.unitVector(8, seed: 2), model: "m", k: 3, filter: VectorFilter()).count == 3)

        let required = #expect(throws: IndexError.self) { try openIndex(url: with(url, "loom_search=pgvector"), access: .write) }
        #expect(required?.description.contains("cannot create the `vector` extension") == true, "\(String(describing: required))")
    }
}
