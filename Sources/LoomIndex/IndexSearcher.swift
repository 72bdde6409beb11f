import Foundation

/// One result: an item, the segment that matched best (unless the image itself matched), and where.
public struct SearchHit: Sendable, Equatable, Codable {
    /// The item's id in the index (what a server's item and media routes take).
    public var itemId: Int64
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

extension SearchHit {
    /// The matched text on one line (runs of white space as one space), cut after `limit`
    /// characters with "...": how `loom search` and `loom serve` show a hit.
    public func snippet(limit: Int) -> String? {
        guard let text else { return nil }
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count <= limit ? flat : flat.prefix(limit) + "..."
    }
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

    /// Which stored vectors a search ranks.
    var filter: VectorFilter {
        var filter = VectorFilter()
        (filter.modalities, filter.excludedHashes, filter.onePerItem) = (modalities, excludedHashes, groupByItem)
        return filter
    }
}

/// Searches an index. A backend that searches in its database answers each query there; from any
/// other, each model's vectors are loaded once into a contiguous matrix behind a `VectorSearching`
/// index, then any number of queries run against them.
public final class IndexSearcher {
    public let store: any IndexStoring
    /// Builds the vector index of a model's rows; the exact BLAS scan by default.
    public let makeIndex: ([Float], Int) -> any VectorSearching
    private var loaded: [String: InMemoryVectors] = [:]

    public init(store: any IndexStoring,
                makeIndex: @escaping ([Float], Int) -> any VectorSearching = { ExactVectorIndex(rows: $0, dimension: $1) }) {
        self.store = store
        self.makeIndex = makeIndex
    }

    /// Loads a model's vectors now (otherwise the first search does); returns how many rows. A
    /// backend that searches in its database loads nothing: 0.
    @discardableResult
    public func load(model: String) throws -> Int {
        store.searchesInDatabase ? 0 : try vectors(model).index.count
    }

    func vectors(_ model: String) throws -> InMemoryVectors {
        if let cached = loaded[model] { return cached }
        let result = InMemoryVectors(try store.vectors(model: model), makeIndex: makeIndex)
        loaded[model] = result
        return result
    }

    static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }

    /// One ranked list over all `queries` (e.g. the text model's and an image model's vectors of the
    /// same query text), by cosine score; with `groupByItem`, each item once, at its best match.
    public func search(_ queries: [QueryVector], options: SearchOptions = SearchOptions()) throws -> [SearchHit] {
        var ranked: [(match: VectorMatch, model: String)] = []
        for query in queries {
            let matches = store.searchesInDatabase
                ? try store.nearest(to: query.vector, model: query.model, k: options.k, filter: options.filter)
                : try vectors(query.model).nearest(to: query.vector, model: query.model, k: options.k, filter: options.filter)
            ranked += matches.map { ($0, query.model) }
        }
        ranked.sort { $0.match.score > $1.match.score }
        var seen = Set<Int64>()
        var chosen: [(match: VectorMatch, model: String)] = []
        for entry in ranked where chosen.count < options.k {
            if options.groupByItem && !seen.insert(entry.match.itemId).inserted { continue }
            chosen.append(entry)
        }
        // The results' rows, in one read.
        let records = try store.records(itemIds: chosen.map(\.match.itemId), segmentIds: chosen.compactMap(\.match.segmentId))
        return chosen.map { entry in
            let item = records.items[entry.match.itemId]
            let segment = entry.match.segmentId.flatMap { records.segments[$0] }
            // A NaN or infinite time (stored by an older Loom) is no time: it cannot be shown or
            // written as JSON.
            return SearchHit(itemId: entry.match.itemId, path: item?.path ?? "", modality: item?.modality ?? .text, score: entry.match.score,
                             match: segment?.kind.rawValue ?? "image", start: segment?.start.flatMap(Self.finite),
                             end: segment?.end.flatMap(Self.finite), text: segment?.text, model: entry.model)
        }
    }
}
