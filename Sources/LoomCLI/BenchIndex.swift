import ArgumentParser
import Foundation
import LoomIndex
import LoomTensor

/// `loom bench index`: the search index's two costs, as Benchmarks/index/run measures them.
/// With --text-dir: indexing text files (chunking, MiniLM embeddings, SQLite commits) into a fresh
/// index, best of --repeat runs; the embedded texts go to --texts-out for the peer to embed.
/// With --vectors: query latency (p50/p99) of `IndexSearcher` over that many random normalized
/// vectors stored in a fresh index file, one item each, or in --index (Benchmarks/index/pgvector), where
/// an index already holding that many vectors is searched as it is (the seed makes the same vectors).
struct BenchIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Time text indexing throughput or search latency.")

    @Option(help: "A sentence-transformers model folder (text indexing).")
    var model: String?

    @Option(help: "Folder of .txt/.md files to index.")
    var textDir: String?

    @Option(help: "Write the embedded texts here as JSON lines (for the peer).")
    var textsOut: String?

    @Option(help: "Stored random vectors for the latency benchmark.")
    var vectors: Int?

    @Option(help: "Store the latency benchmark's vectors in this index (a postgres:// URL times PostgreSQL, with pgvector where the server has it); default: a fresh index file.")
    var index: String?

    @Option(help: "Vector size for the latency benchmark.")
    var dimension = 384

    @Option(help: "Queries for the latency benchmark.")
    var queries = 200

    @Option(help: "Results per query.")
    var k = 10

    @Option(name: .customLong("repeat"), help: "Timed indexing runs.")
    var repetitions = 3

    @Option(help: "Worker threads.")
    var threads = 2

    func validate() throws {
        guard (textDir != nil) != (vectors != nil) else { throw ValidationError("give --text-dir (with --model) or --vectors") }
        guard textDir == nil || model != nil else { throw ValidationError("--text-dir needs --model") }
        guard repetitions >= 1, queries >= 1, dimension >= 1, k >= 1, threads >= 1 else { throw ValidationError("counts must be at least 1") }
    }

    func run() throws {
        ComputeThreads.set(threads)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try textDir != nil ? indexing(work) : latency(work)
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    func indexing(_ work: URL) throws -> [String: Any] {
        let folder = URL(fileURLWithPath: model!)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let embedder = try CountingEmbedder(SentenceTextEmbedder(folder: folder, modelID: folder.lastPathComponent))
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e6
        _ = try embedder.embed(["warm up the thread pool and caches"])
        let files = try IndexBuilder.files(in: [URL(fileURLWithPath: textDir!)], recursive: true)
        var milliseconds: [Double] = []
        var chunks = 0
        for run in 0..<repetitions {
            let store = try openIndex(url: work.appendingPathComponent("run\(run).loom"), access: .create)
            let builder = try IndexBuilder(store: store, textEmbedder: embedder)
            embedder.reset()
            let start = DispatchTime.now().uptimeNanoseconds
            let summary = try builder.index(files)
            milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            guard summary.added == files.count else { throw ValidationError("indexing failed: \(summary.failures)") }
            chunks = try store.allItems().reduce(0) { total, item in
                total + (try store.segments(itemId: item.id!).filter { $0.kind == .chunk }.count)
            }
        }
        if let textsOut {
            let lines = try embedder.texts.map { String(decoding: try JSONSerialization.data(withJSONObject: [$0], options: []), as: UTF8.self) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: textsOut, atomically: true, encoding: .utf8)
        }
        let best = milliseconds.min()!
        return ["bench": "index-text", "files": files.count, "chunks": chunks, "texts": embedder.texts.count,
                "threads": threads, "load_ms": loadMilliseconds, "ms": milliseconds, "ms_min": best,
                "chunks_per_s": Double(chunks) / (best / 1000), "texts_per_s": Double(embedder.texts.count) / (best / 1000)]
    }

    func latency(_ work: URL) throws -> [String: Any] {
        let count = vectors!
        var random = SplitMix64(seed: 42)
        let store = try openIndex(url: try index.map(indexURL) ?? work.appendingPathComponent("latency.loom"), access: .create)
        let buildStart = DispatchTime.now().uptimeNanoseconds
        let stored = try index != nil && store.counts().vectors == count
        var batch: [ItemContent] = []
        for i in 0..<count {
            let vector = random.unitVector(dimension)
            if stored { continue }
            let item = IndexedItem(path: "/bench/item\(i).txt", contentHash: String(i), modality: .text, size: 0, mtime: 0,
                                   fingerprint: "text=bench")
            let segment = IndexedSegment(kind: .chunk, ordinal: 0, text: "item \(i)")
            batch.append(ItemContent(item: item, segments: [(segment, vector)], textModel: "bench"))
            if batch.count == 10_000 { try store.replace(with: batch); batch = [] }
        }
        try store.replace(with: batch)
        let storeMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - buildStart) / 1e6

        let searcher = IndexSearcher(store: store)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        try searcher.load(model: "bench")
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e6
        var options = SearchOptions()
        options.k = k
        // The first search (untimed in the percentiles) builds a missing pgvector index.
        let firstStart = DispatchTime.now().uptimeNanoseconds
        _ = try searcher.search([QueryVector(model: "bench", vector: random.unitVector(dimension))], options: options)
        let firstMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - firstStart) / 1e6
        var latencies: [Double] = []
        for _ in 0..<queries {
            let query = QueryVector(model: "bench", vector: random.unitVector(dimension))
            let start = DispatchTime.now().uptimeNanoseconds
            let hits = try searcher.search([query], options: options)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            guard hits.count == k else { throw ValidationError("search returned \(hits.count) results, expected \(k)") }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)] }
        return ["bench": "index-search", "vectors": count, "dimension": dimension, "queries": queries, "k": k,
                "threads": threads, "store_ms": storeMilliseconds, "vector_load_ms": loadMilliseconds,
                "searches_in_database": store.searchesInDatabase, "first_search_ms": firstMilliseconds, "reused": stored,
                "p50_ms": percentile(0.5), "p99_ms": percentile(0.99), "max_ms": latencies.last!]
    }
}

/// The text embedder with a record of every text it embedded, in order.
final class CountingEmbedder: TextEmbedding {
    let inner: SentenceTextEmbedder
    private(set) var texts: [String] = []

    init(_ inner: SentenceTextEmbedder) { self.inner = inner }

    var modelID: String { inner.modelID }
    var dimension: Int { inner.dimension }
    func reset() { texts = [] }

    func embed(_ texts: [String]) throws -> [[Float]] {
        self.texts += texts
        return try inner.embed(texts)
    }
}

/// A small seeded generator (SplitMix64) for reproducible random vectors.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func uniform() -> Double { (Double(next() >> 11) + 1) / 9_007_199_254_740_992 }

    /// A random direction: Gaussian entries (Box-Muller), normalized.
    mutating func unitVector(_ n: Int) -> [Float] {
        var v = (0..<n).map { _ in Float((-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in v.indices { v[i] /= norm }
        return v
    }
}
