import Foundation
import LoomPostgres

/// How a PostgreSQL index answers nearest-neighbour searches: the `loom_search` parameter of its URL
/// (`postgres://loom@db/media?loom_search=exact`), which Loom reads and libpq never sees.
public enum PostgresSearchMode: String, Sendable, CaseIterable {
    /// pgvector's HNSW index where the server has the `vector` extension, else Loom's exact scan.
    case auto
    /// Loom's exact BLAS scan over vectors loaded into the searching process, even with pgvector.
    case exact
    /// pgvector, or an error saying why it cannot be used.
    case pgvector
}

/// The search settings of a PostgreSQL index's URL, and the URL without them for libpq (which
/// refuses query parameters it does not know).
struct PostgresSearchOptions: Equatable {
    var mode = PostgresSearchMode.auto
    /// pgvector's `hnsw.ef_search`: how many candidates a search keeps, raised per query to the
    /// number of rows it asks for, up to pgvector's limit of 1000. pgvector's default, 40, found
    /// 52% of the true top 10 on random 384-d unit vectors (4,000 rows, the hard case: real
    /// embeddings cluster), 100 found 85%, 200 found 97%, 400 99.7%; so 200, at about twice 100's time.
    var efSearch = 200
    static let efSearchRange = 1...1000

    /// Reads `loom_search` and `loom_ef_search` from `url`'s query; an unknown value is an error
    /// naming the parameter and the values it takes.
    static func parse(_ url: URL, location: String) throws -> (options: PostgresSearchOptions, connectionURL: URL) {
        guard var parts = URLComponents(url: url, resolvingAgainstBaseURL: false), let items = parts.queryItems else {
            return (PostgresSearchOptions(), url)
        }
        var options = PostgresSearchOptions()
        for item in items {
            switch item.name {
            case "loom_search":
                guard let mode = item.value.flatMap(PostgresSearchMode.init(rawValue:)) else {
                    throw IndexError.database(path: location, reason: "loom_search=\(item.value ?? "") is not a search mode; write "
                        + PostgresSearchMode.allCases.map { "loom_search=\($0.rawValue)" }.joined(separator: ", ")
                        + " (auto: pgvector where the server has it)")
                }
                options.mode = mode
            case "loom_ef_search":
                guard let value = item.value.flatMap(Int.init), efSearchRange.contains(value) else {
                    throw IndexError.database(path: location, reason: "loom_ef_search=\(item.value ?? "") is not a number from "
                        + "\(efSearchRange.lowerBound) to \(efSearchRange.upperBound) (pgvector's hnsw.ef_search)")
                }
                options.efSearch = value
            default: continue
            }
        }
        let others = items.filter { !["loom_search", "loom_ef_search"].contains($0.name) }
        parts.queryItems = others.isEmpty ? nil : others
        return (options, parts.url ?? url)
    }
}

/// Nearest-neighbour search inside PostgreSQL with pgvector (https://github.com/pgvector/pgvector):
/// the stored `real[]` vectors are cast to `vector(D)`, and per model and dimension a partial HNSW
/// index over that cast ranks them by cosine distance, so the table stays the one the exact path
/// reads. Settings as immich's pgvector fallback (server/src/utils/database.ts): m = 16,
/// ef_construction = 300. Not thread-safe: the store calls it under its lock.
final class PostgresVectorSearch {
    /// The quoted schema the `vector` extension lives in: its type and operators are named through it,
    /// so they are found whatever the session's search_path.
    let schema: String
    /// pgvector 0.8.0 and later scan the HNSW graph on until the filters left enough rows
    /// (`hnsw.iterative_scan`); before that a search sees at most ef_search candidates.
    let iterativeScan: Bool
    let efSearch: Int
    /// HNSW indexes exist for these "dimension model" keys (checked or made by this process).
    private var indexed: Set<String> = []
    /// The model names as SQL literals, quoted by the server (`quote_literal`) for its own settings.
    private var literals: [String: String] = [:]

    /// pgvector's HNSW index takes vectors of at most 2000 dimensions; larger ones are scanned exactly
    /// in the database (the cast and operators still work).
    static let maxIndexedDimension = 2000

    private init(schema: String, version: String, efSearch: Int) {
        self.schema = schema
        iterativeScan = version.split(separator: ".").compactMap { Int($0) }.lexicographicallyPrecedes([0, 8, 0]) == false
        self.efSearch = efSearch
    }

    /// pgvector on `db`, or nil (exact search in Loom) with the reason a user should hear, if any.
    /// The extension is used when installed in the database, and installed when the server has it
    /// and the index is opened for writing; `.pgvector` turns every reason into an error.
    static func open(_ db: PostgresConnection, access: IndexAccess, options: PostgresSearchOptions, location: String) throws
        -> (search: PostgresVectorSearch?, note: String?) {
        guard options.mode != .exact else { return (nil, nil) }
        func without(_ reason: String) throws -> (search: PostgresVectorSearch?, note: String?) {
            if options.mode == .pgvector { throw IndexError.database(path: location, reason: reason + " (loom_search=pgvector was asked for)") }
            return (nil, reason)
        }
        let available = try db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").count > 0
        guard available else {
            // The common case on servers without pgvector (Debian's): nothing to say unless asked for.
            if options.mode == .pgvector { return try without("the server has no pgvector (no `vector` in pg_available_extensions); install it") }
            return (nil, nil)
        }
        if try installed(db) == nil {
            guard access != .read else {
                return try without("the server has pgvector but this database has no `vector` extension; searching exactly. "
                    + "`loom index` into it, or `CREATE EXTENSION vector`, installs it")
            }
            do {
                try db.transaction {
                    try db.query("SELECT pg_advisory_xact_lock($1)", [.int(PostgresIndexSchema.lockKey)])
                    try db.query("CREATE EXTENSION IF NOT EXISTS vector")
                }
            } catch let error as PostgresError where !error.connectionLost {
                let reason = error.message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                return try without("cannot create the `vector` extension (\(reason)); searching exactly. "
                    + "A database owner can run `CREATE EXTENSION vector`, or pass ?loom_search=exact to say so")
            }
        }
        guard let (schema, version) = try installed(db) else { return try without("the `vector` extension did not install") }
        return (PostgresVectorSearch(schema: schema, version: version, efSearch: options.efSearch), nil)
    }

    /// The quoted schema and version of the installed `vector` extension, or nil.
    private static func installed(_ db: PostgresConnection) throws -> (schema: String, version: String)? {
        let row = try db.query("""
            SELECT quote_ident(n.nspname), e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'vector'
            """)
        guard row.count > 0 else { return nil }
        return (row.string(0, 0) ?? "public", row.string(0, 1) ?? "")
    }

    private func literal(_ model: String, db: PostgresConnection) throws -> String {
        if let known = literals[model] { return known }
        let quoted = try db.query("SELECT quote_literal($1::text)", [.text(model)]).string(0, 0) ?? "''"
        literals[model] = quoted
        return quoted
    }

    /// The HNSW index of a model's vectors of one dimension: named by both (a model name can be
    /// any text, an index name only 63 bytes).
    static func indexName(model: String, dimension: Int) -> String {
        "vectors_hnsw_\(dimension)_\(ContentHash.hex(of: model.utf8).prefix(16))"
    }

    private func vectorType(_ dimension: Int) -> String { "\(schema).vector(\(dimension))" }

    /// Whether the HNSW index of `model` at `dimension` exists, making it first when `create` (a
    /// session that may write): under the schema's advisory lock, so two writers make it once.
    /// Building it holds writes to loom.vectors back meanwhile; later rows join it as they come.
    @discardableResult
    func ensureIndex(model: String, dimension: Int, create: Bool, db: PostgresConnection) throws -> Bool {
        guard dimension > 0, dimension <= Self.maxIndexedDimension else { return false }
        let key = "\(dimension) \(model)"
        if indexed.contains(key) { return true }
        let name = Self.indexName(model: model, dimension: dimension)
        let exists = { try db.query("SELECT to_regclass($1) IS NOT NULL", [.text("loom.\(name)")]).bool(0, 0) == true }
        if try exists() {
            indexed.insert(key)
            return true
        }
        guard create else { return false }
        let model = try literal(model, db: db)
        try db.transaction {
            try db.query("SELECT pg_advisory_xact_lock($1)", [.int(PostgresIndexSchema.lockKey)])
            try db.query("""
                CREATE INDEX IF NOT EXISTS \(name) ON loom.vectors
                USING hnsw ((embedding::\(vectorType(dimension))) \(schema).vector_cosine_ops) WITH (m = 16, ef_construction = 300)
                WHERE model = \(model) AND dimension = \(dimension)
                """)
        }
        // Inside a caller's transaction (a queue worker's finish) the index exists once that commits.
        if !db.inTransaction { indexed.insert(key) }
        return true
    }

    /// The dimension of `model`'s vectors of items that were read, or nil when it has none.
    func dimension(model: String, db: PostgresConnection) throws -> Int? {
        let row = try db.query("""
            SELECT v.dimension FROM loom.vectors v JOIN loom.items i ON i.id = v.item_id
            WHERE v.model = $1 AND i.status = 'ok' LIMIT 1
            """, [.text(model)])
        return row.count > 0 ? Int(try row.int(0, 0) ?? 0) : nil
    }

    /// The statement of one search: `$1` the query (`real[]`), `$2` the modalities, `$3` the
    /// excluded content hashes, `$4` how many rows. It orders by the expression the HNSW index
    /// holds and filters by its predicate, so the planner walks the index (PgvectorSearchTests
    /// checks it with EXPLAIN); the score is the dot product, as Loom's exact scan gives it.
    func nearestSQL(modelLiteral: String, dimension: Int) -> String {
        let type = vectorType(dimension)
        return """
            SELECT v.item_id, v.segment_id, -((v.embedding::\(type)) OPERATOR(\(schema).<#>) $1::real[]::\(type)) AS score
            FROM loom.vectors v JOIN loom.items i ON i.id = v.item_id
            WHERE v.model = \(modelLiteral) AND v.dimension = \(dimension) AND i.status = 'ok'
              AND i.modality = ANY($2::text[]) AND NOT (i.content_hash = ANY($3::text[]))
            ORDER BY (v.embedding::\(type)) OPERATOR(\(schema).<=>) $1::real[]::\(type)
            LIMIT $4
            """
    }

    func parameters(query: [Float], filter: VectorFilter, limit: Int) -> [PostgresValue] {
        [.floats(query), .texts(filter.modalities.map(\.rawValue).sorted()), .texts(filter.excludedHashes.sorted()), .int(Int64(limit))]
    }

    func statement(model: String, dimension: Int, db: PostgresConnection) throws -> String {
        nearestSQL(modelLiteral: try literal(model, db: db), dimension: dimension)
    }

    /// The `k` best matches of `query` among `model`'s vectors, in the database. With one match per
    /// item, rows are fetched four times over and grouped; when that leaves fewer than `k` items
    /// and more rows may follow, four times as many are fetched again.
    func nearest(to query: [Float], model: String, k: Int, filter: VectorFilter, db: PostgresConnection) throws -> [VectorMatch] {
        guard k > 0, let dimension = try dimension(model: model, db: db) else { return [] }
        guard query.count == dimension else {
            throw IndexError.badEmbedding(model: model, reason: "query vector of size \(query.count), the index holds size \(dimension)")
        }
        let sql = try statement(model: model, dimension: dimension, db: db)
        var limit = filter.onePerItem ? k * 4 : k
        while true {
            let rows = try db.transaction {
                try db.query("SELECT set_config('hnsw.ef_search', $1, true)", [.text(String(min(max(efSearch, limit), 1000)))])
                if iterativeScan { try db.query("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)") }
                return try db.query(sql, parameters(query: query, filter: filter, limit: limit))
            }
            var matches: [VectorMatch] = []
            var best: [Int64: Int] = [:]  // item -> its match's place in `matches`
            for row in 0..<rows.count {
                let match = VectorMatch(itemId: try rows.int(row, 0) ?? 0, segmentId: try rows.int(row, 1),
                                        score: Float(try rows.double(row, 2) ?? 0))
                guard filter.onePerItem else { matches.append(match); continue }
                if let place = best[match.itemId] {
                    if match.score > matches[place].score { matches[place] = match }
                } else {
                    best[match.itemId] = matches.count
                    matches.append(match)
                }
            }
            if !filter.onePerItem || matches.count >= k || rows.count < limit {
                // Stable: equal scores keep the database's order.
                return Array(matches.enumerated().sorted { ($0.element.score, $1.offset) > ($1.element.score, $0.offset) }.prefix(k).map(\.element))
            }
            limit *= 4
        }
    }
}

/// What a PostgreSQL index tells its user once (on stderr): why pgvector is not used, or that a
/// model's vectors lack their HNSW index. Kept for tests in `said`.
final class PostgresIndexNotes: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []

    var said: [String] { lock.withLock { notes } }

    func say(_ note: String, location: String) {
        let isNew = lock.withLock {
            guard !notes.contains(note) else { return false }
            notes.append(note)
            return true
        }
        if isNew { FileHandle.standardError.write(Data("note: \(location): \(note)\n".utf8)) }
    }
}

extension PostgresIndexStore {
    public var searchesInDatabase: Bool { vectorSearch != nil }

    /// With pgvector, in the database (making the model's HNSW index first if it is missing and
    /// this session may write); otherwise the exact scan over `vectors(model:)`.
    public func nearest(to query: [Float], model: String, k: Int, filter: VectorFilter) throws -> [VectorMatch] {
        guard let search = vectorSearch else {
            return try InMemoryVectors(vectors(model: model)).nearest(to: query, model: model, k: k, filter: filter)
        }
        return try run { db in
            if let dimension = try search.dimension(model: model, db: db),
               try !search.ensureIndex(model: model, dimension: dimension, create: access != .read, db: db) {
                notes.say(dimension > PostgresVectorSearch.maxIndexedDimension
                    ? "\(model) vectors have \(dimension) dimensions, more than pgvector's HNSW index takes (2000); PostgreSQL compares every one"
                    : "\(model) vectors have no HNSW index yet, so PostgreSQL compares every one; `loom index` into this index builds it",
                    location: location)
            }
            return try search.nearest(to: query, model: model, k: k, filter: filter, db: db)
        }
    }

    /// Makes the HNSW indexes of the models and dimensions `contents` stored, after their
    /// transaction: the first vectors of a model build its index.
    func indexVectors(of contents: [ItemContent]) {
        guard vectorSearch != nil else { return }
        var written: [(model: String, dimension: Int)] = []
        for content in contents {
            written += content.segments.compactMap { $0.vector.map { (content.textModel, $0.count) } }
            written += content.itemVectors.map { ($0.model, $0.vector.count) }
        }
        indexVectors(written)
    }

    /// A failed build (out of memory, no privilege) stores nothing less: it is said, and searches of
    /// that model compare every vector in the database until a later write builds the index.
    func indexVectors(_ written: [(model: String, dimension: Int)]) {
        guard let search = vectorSearch else { return }
        var seen = Set<String>()
        for (model, dimension) in written where seen.insert("\(dimension) \(model)").inserted {
            do {
                _ = try run { db in try search.ensureIndex(model: model, dimension: dimension, create: true, db: db) }
            } catch {
                notes.say("cannot build the HNSW index of \(model) (\(error)); searches of it compare every vector", location: location)
            }
        }
    }
}
