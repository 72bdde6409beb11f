import Foundation
import LoomIndex
import LoomMedia
import LoomTasks

/// The index behind /api: its store, its models (found as `loom search` finds them, through
/// `IndexModels`) and one searcher, used from the search queue's one thread only (the searcher
/// keeps each model's vectors in memory between queries).
final class SearchService: @unchecked Sendable {
    // @unchecked: `searcher` and `encoder` are used only from `queue`'s thread (every call goes
    // through `queue.run`); the store is Sendable.
    let store: any IndexStoring
    let models: IndexModels
    let queue: WorkQueue
    private let searcher: IndexSearcher
    private let threads: Int
    private var encoder: QueryEncoder?

    init(indexURL: URL, shared: SharedModels, threads: Int, maxQueue: Int = 8) throws {
        store = try openIndex(url: indexURL, access: .read)
        models = IndexModels(settings: try store.settings(), indexPath: store.location, models: shared)
        searcher = IndexSearcher(store: store)
        self.threads = threads
        queue = WorkQueue(name: "search", maxWaiting: maxQueue, retryAfterSeconds: 1)
    }

    /// The index's query encoder, its models loaded at first use (text; image when the index holds
    /// image vectors; speech when an example is audio).
    private func queryEncoder() throws -> QueryEncoder {
        if let encoder { return encoder }
        let text = try models.textEmbedder(nil)
        let image = models.settings["image.model"] != nil ? try models.imageEmbedder(nil) : nil
        let speech = try? models.lazyTranscriber(nil, threads: threads)
        let made = QueryEncoder(textEmbedder: text.embedder, imageEmbedder: image?.embedder, transcriber: speech?.embedder)
        encoder = made
        return made
    }

    enum Query: Sendable {
        case text(String)
        /// An example file: an uploaded one (in a temporary file), or an indexed item's own file.
        case like(URL)
    }

    /// Runs on `queue`'s thread only.
    func search(_ query: Query, options: SearchOptions) throws -> [SearchHit] {
        let encoder = try queryEncoder()
        var options = options
        let queries: [QueryVector]
        switch query {
        case .text(let text):
            queries = try encoder.queries(text: text)
        case .like(let url):
            let encoded = try encoder.queries(like: url)
            queries = encoded.queries
            options.excludedHashes = [encoded.contentHash]
        }
        return try searcher.search(queries, options: options)
    }

    /// The item with `id`, with its segments; nil when the index has none.
    func item(_ id: Int64) throws -> (item: IndexedItem, segments: [IndexedSegment])? {
        guard let item = try store.records(itemIds: [id], segmentIds: []).items[id] else { return nil }
        return (item, try store.segments(itemId: id))
    }
}
