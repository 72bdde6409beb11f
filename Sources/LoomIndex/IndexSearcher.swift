import Foundation
import GRDB

/// One result: an item, the segment that matched best (unless the image itself matched), and where.
public struct SearchHit: Sendable, Equatable, Codable {
    public var path: String
    public var modality: Modality
    /// Cosine similarity of the query and the matched vector.
    public var score: Float
    /// What matched: a segment kind (transcript, chunk, caption, filename) or "image".
    public var match: String
    /// Seconds into the audio of a transcript segment.
    public var start: Double?
    public var end: Double?
    /// The matched segment's text.
    public var text: String?
    public var model: String
}

/// A query vector and the model whose stored vectors it is compared with.
public struct QueryVector: Sendable {
    public var model: String
    public var vector: [Float]

    public init(model: String, vector: [Float]) {
        self.model = model
        self.vector = vector
    }
}

/// What to return.
public struct SearchOptions: Sendable {
    public var k = 10
    public var modalities: Set<Modality> = Set(Modality.allCases)
    /// One hit per item (its best segment); false lists every matching segment.
    public var groupByItem = true
    /// Items with these content hashes are left out (the example file of a `--like` query).
    public var excludedHashes: Set<String> = []

    public init() {}
}

/// Searches an index: each model's vectors are loaded once into a contiguous matrix behind a
/// `VectorSearching` index, then any number of queries run against them.
public final class IndexSearcher {
    public let store: IndexStore
    /// Builds the vector index of a model's rows; the exact BLAS scan by default.
    public let makeIndex: ([Float], Int) -> any VectorSearching
    private var loaded: [String: LoadedVectors] = [:]

    public init(store: IndexStore,
                makeIndex: @escaping ([Float], Int) -> any VectorSearching = { ExactVectorIndex(rows: $0, dimension: $1) }) {
        self.store = store
        self.makeIndex = makeIndex
    }

    /// The vectors of one model, with the item each row belongs to.
    struct LoadedVectors {
        let index: any VectorSearching
        let segmentIds: [Int64?]
        /// Per row: a dense item number (0..<itemIds.count).
        let groups: [Int32]
        let itemIds: [Int64]
        let modalities: [Modality]
        let hashes: [String]
    }

    /// Loads a model's vectors now (otherwise the first search does); returns how many rows.
    @discardableResult
    public func load(model: String) throws -> Int {
        try vectors(model).index.count
    }

    func vectors(_ model: String) throws -> LoadedVectors {
        if let cached = loaded[model] { return cached }
        let path = store.url.path
        let result: LoadedVectors = try store.read { db in
            var matrix: [Float] = []
            var dimension = 0
            var segmentIds: [Int64?] = [], groups: [Int32] = []
            var itemIds: [Int64] = [], modalities: [Modality] = [], hashes: [String] = []
            var groupOfItem: [Int64: Int32] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT v.itemId, v.segmentId, v.dimension, v.embedding, i.modality, i.contentHash
                FROM vectors v JOIN items i ON i.id = v.itemId
                WHERE v.model = ? AND i.status = 'ok' ORDER BY v.id
                """, arguments: [model])
            // `decode` throws (rather than traps) on a NULL or wrongly typed value of a damaged file.
            while let row = try rows.next() {
                let rowDimension = try row.decode(Int.self, forColumn: "dimension")
                let blob = try row.decode(Data.self, forColumn: "embedding")
                if dimension == 0 { dimension = rowDimension }
                // Dividing the blob's size, not multiplying the stored dimension, which could overflow.
                guard rowDimension == dimension, dimension > 0, blob.count % MemoryLayout<Float>.size == 0,
                      blob.count / MemoryLayout<Float>.size == dimension else {
                    throw IndexError.notAnIndex(path: path, reason: "a \(model) vector has size \(blob.count / 4), others \(dimension)")
                }
                let start = matrix.count
                matrix.append(contentsOf: repeatElement(0, count: dimension))
                matrix.withUnsafeMutableBytes { out in
                    _ = blob.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: out[(start * 4)...]))
                }
                let itemId = try row.decode(Int64.self, forColumn: "itemId")
                let group: Int32
                if let known = groupOfItem[itemId] { group = known } else {
                    group = Int32(itemIds.count)
                    groupOfItem[itemId] = group
                    itemIds.append(itemId)
                    modalities.append(Modality(rawValue: try row.decode(String.self, forColumn: "modality")) ?? .text)
                    hashes.append(try row.decode(String.self, forColumn: "contentHash"))
                }
                segmentIds.append(try row.decode(Int64?.self, forColumn: "segmentId"))
                groups.append(group)
            }
            return LoadedVectors(index: makeIndex(matrix, max(dimension, 1)), segmentIds: segmentIds, groups: groups,
                                 itemIds: itemIds, modalities: modalities, hashes: hashes)
        }
        loaded[model] = result
        return result
    }

    /// One ranked list over all `queries` (e.g. the text model's and an image model's vectors of the
    /// same query text), by cosine score; with `groupByItem`, each item once, at its best match.
    public func search(_ queries: [QueryVector], options: SearchOptions = SearchOptions()) throws -> [SearchHit] {
        var ranked: [(score: Float, model: String, row: Int, loaded: LoadedVectors)] = []
        for query in queries {
            let loaded = try vectors(query.model)
            guard loaded.index.count > 0 else { continue }
            guard query.vector.count == loaded.index.dimension else {
                throw IndexError.badEmbedding(
                    model: query.model, reason: "query vector of size \(query.vector.count), the index holds size \(loaded.index.dimension)")
            }
            let include: (Int32) -> Bool = { group in
                options.modalities.contains(loaded.modalities[Int(group)]) && !options.excludedHashes.contains(loaded.hashes[Int(group)])
            }
            let rows: [ScoredRow]
            if options.groupByItem {
                rows = loaded.index.nearest(to: query.vector, k: options.k, groups: loaded.groups, includeGroup: include)
            } else {
                rows = loaded.index.nearest(to: query.vector, k: options.k, groups: nil) { include(loaded.groups[Int($0)]) }
            }
            ranked += rows.map { ($0.score, query.model, $0.row, loaded) }
        }
        ranked.sort { $0.score > $1.score }
        var seen = Set<Int64>()
        var chosen: [(itemId: Int64, segmentId: Int64?, score: Float, model: String)] = []
        for entry in ranked where chosen.count < options.k {
            let itemId = entry.loaded.itemIds[Int(entry.loaded.groups[entry.row])]
            if options.groupByItem && !seen.insert(itemId).inserted { continue }
            chosen.append((itemId, entry.loaded.segmentIds[entry.row], entry.score, entry.model))
        }
        // The results' rows, in one read.
        return try store.read { db in
            try chosen.map { entry in
                let item = try IndexedItem.fetchOne(db, key: entry.itemId)
                let segment = try entry.segmentId.flatMap { try IndexedSegment.fetchOne(db, key: $0) }
                return SearchHit(path: item?.path ?? "", modality: item?.modality ?? .text, score: entry.score,
                                 match: segment?.kind.rawValue ?? "image", start: segment?.start, end: segment?.end,
                                 text: segment?.text, model: entry.model)
            }
        }
    }
}
