import ArgumentParser
import Foundation
import LoomIndex
import LoomMedia

/// `loom search`: one ranked list across images, audio and text in an index.
struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search an index built by `loom index`, by text or by an example file.",
        discussion: """
            Prints rank, score (cosine), modality, path and, for audio, the time range and the words \
            that matched. Model load time and search time are reported on stderr (and in --json).
            """)

    @Argument(help: "What to look for, in words.")
    var query: String?

    @Option(help: "Search with an example file instead: text, audio (by its transcript) or image.")
    var like: String?

    @Option(help: "The index file, or a PostgreSQL database: postgres://USER@HOST:PORT/DATABASE.")
    var index = SQLiteIndexStore.defaultFileName

    @Option(help: "Number of results (at most \(Search.maxResults)).")
    var k = 10

    /// More results than anyone reads; also bounds what a mistyped --k can make the search hold.
    static let maxResults = 10_000

    @Option(help: "Comma-separated modalities to return: image, audio, text.")
    var modality: String?

    @Flag(help: "List every matching segment, not just each item's best.")
    var segments = false

    @Flag(help: "Print JSON: the results and the timings.")
    var json = false

    @Option(help: "Text embedding model (default: the one the index was built with).")
    var model: String?

    @Option(help: "Speech model for --like audio (default: the index's).")
    var asrModel: String?

    @Option(help: "Image model for --like images (default: the index's).")
    var imageModel: String?

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (query == nil) != (like == nil) else { throw ValidationError("give either a query text or --like FILE") }
        guard (1...Self.maxResults).contains(k) else { throw ValidationError("--k must be between 1 and \(Self.maxResults), not \(k)") }
        _ = try modalities()
    }

    func modalities() throws -> Set<Modality> {
        guard let modality else { return Set(Modality.allCases) }
        return Set(try modality.split(separator: ",").map { name in
            guard let value = Modality(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw ValidationError("unknown modality '\(name)'; use any of image, audio, text")
            }
            return value
        })
    }

    func run() throws {
        compute.apply()
        let store = try openIndex(url: try indexURL(index), access: .read)
        let models = IndexModels(settings: try store.settings(), indexPath: store.location, models: Loom.models)
        var options = SearchOptions()
        options.k = k
        options.modalities = try modalities()
        options.groupByItem = !segments

        let modelStart = DispatchTime.now().uptimeNanoseconds
        let text = try models.textEmbedder(model)
        if let indexed = models.settings["text.model"], indexed != text.embedder.modelID {
            throw IndexError.modelMismatch(path: store.location, role: "text", indexed: indexed, requested: text.embedder.modelID)
        }
        let likeModality = like.flatMap { Modality(fileExtension: URL(fileURLWithPath: $0).pathExtension) }
        // Example images need the image model; text queries use its text tower too when the index
        // holds image vectors (CLIP/SigLIP text and image embeddings share one space).
        let image: IndexModels.Loaded<DualEncoderImageEmbedder>?
        if likeModality == .image {
            image = try models.imageEmbedder(imageModel)
        } else if like == nil, imageModel != nil || models.settings["image.model"] != nil {
            image = try models.imageEmbedder(imageModel)
        } else {
            image = nil
        }
        let speech = likeModality == .audio ? try models.transcriber(asrModel, threads: compute.threads ?? ProcessInfo.processInfo.activeProcessorCount) : nil
        let encoder = QueryEncoder(textEmbedder: text.embedder, imageEmbedder: image?.embedder, transcriber: speech?.embedder)
        let modelMilliseconds = milliseconds(since: modelStart)

        let encodeStart = DispatchTime.now().uptimeNanoseconds
        let queries: [QueryVector]
        if let like {
            let url = URL(fileURLWithPath: like)
            guard InputFile.exists(path: url.path) else { throw ValidationError("\(DisplayPath.escaping(like)): no such file") }
            let encoded = try encoder.queries(like: url)
            queries = encoded.queries
            options.excludedHashes = [encoded.contentHash]
        } else {
            queries = try encoder.queries(text: query!)
        }
        let encodeMilliseconds = milliseconds(since: encodeStart)

        let searcher = IndexSearcher(store: store)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        for query in queries { try searcher.load(model: query.model) }
        let vectorMilliseconds = milliseconds(since: loadStart)
        let searchStart = DispatchTime.now().uptimeNanoseconds
        let hits = try searcher.search(queries, options: options)
        let searchMilliseconds = milliseconds(since: searchStart)

        let timings = ["model_load_ms": modelMilliseconds, "query_encode_ms": encodeMilliseconds,
                       "vector_load_ms": vectorMilliseconds, "search_ms": searchMilliseconds]
        if json {
            let results: [[String: Any]] = hits.enumerated().map { rank, hit in
                var entry: [String: Any] = ["rank": rank + 1, "path": hit.path, "modality": hit.modality.rawValue,
                                            "score": Double(hit.score), "match": hit.match, "model": hit.model]
                if let start = hit.start { entry["start"] = start }
                if let end = hit.end { entry["end"] = end }
                if let text = hit.text { entry["text"] = text }
                return entry
            }
            var object: [String: Any] = ["index": store.location, "results": results, "timings": timings]
            object[like == nil ? "query" : "like"] = like ?? query!
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            if hits.isEmpty { printErr("no results (is the index empty, or --modality too narrow?)") }
            for (rank, hit) in hits.enumerated() {
                var line = String(format: "%2d  %.3f  ", rank + 1, hit.score)
                    + hit.modality.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0) + "  "
                    + DisplayPath.of(URL(fileURLWithPath: hit.path))
                if let start = hit.start, let end = hit.end { line += "  [\(Self.time(start))-\(Self.time(end))]" }
                if let snippet = hit.snippet(limit: 120), hit.match != "filename" { line += "  \"\(snippet)\"" }
                print(line)
            }
            printErr(String(format: "models loaded in %.0f ms, query encoded in %.0f ms, vectors loaded in %.0f ms, search %.1f ms",
                            modelMilliseconds, encodeMilliseconds, vectorMilliseconds, searchMilliseconds))
        }
    }

    func milliseconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }

    /// m:ss.s, the way players show a position.
    static func time(_ seconds: Double) -> String {
        let minutes = Int(seconds / 60)
        return String(format: "%d:%04.1f", minutes, seconds - Double(minutes * 60))
    }
}
