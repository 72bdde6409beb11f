import Foundation
@testable import LoomIndex
import LoomTestSupport
import Testing

/// An index backend under test: where a new, empty index of it lives, for `openIndex(url:access:)`.
/// PostgreSQL gives a fresh database of the throwaway test cluster; it is left out where PostgreSQL
/// is not installed (`postgresIsTestedWhereRequired` then skips with a message, or fails under
/// LOOM_REQUIRE_MODELS=1), and so is the pgvector build where its venv is absent
/// (PgvectorSearchTests.pgvectorIsTestedWhereRequired).
struct IndexBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let location: @Sendable (_ scratch: URL) throws -> URL

    var testDescription: String { name }

    static let sqlite = IndexBackend(name: "SQLite") { $0.appendingPathComponent("contract.loom") }
    static let postgres = IndexBackend(name: "PostgreSQL") { _ in
        guard let cluster = PostgresTestCluster.shared() else { throw CancellationError() }
        return try cluster.createDatabase("contract")
    }
    /// PostgreSQL with pgvector (Scripts/pgvector-venv): `nearest` answered through its HNSW index.
    static let pgvector = IndexBackend(name: "PostgreSQL+pgvector") { _ in
        guard let cluster = PostgresTestCluster.sharedPgvector() else { throw CancellationError() }
        return try cluster.createDatabase("contract_pgvector")
    }
    static let all = [sqlite] + (PostgresTestCluster.isInstalled ? [postgres] : []) + (PostgresTestCluster.hasPgvector ? [pgvector] : [])
}

/// What every `IndexStoring` backend must do, run against each backend in `IndexBackend.all`.
@Suite("Index store contract")
struct IndexStoreContractTests {
    /// A new index of `backend`, its location (to open it again) and its scratch folder to remove.
    func fresh(_ backend: IndexBackend) throws -> (store: any IndexStoring, url: URL, scratch: URL) {
        let scratch = try Fixtures.temporaryDirectory("index-contract")
        let url = try backend.location(scratch)
        return (try openIndex(url: url, access: .create), url, scratch)
    }

    static func item(_ path: String, hash: String? = nil, modality: Modality = .text, status: ItemStatus = .ok) -> IndexedItem {
        IndexedItem(path: path, contentHash: hash ?? path, modality: modality, size: 10, mtime: 100, metadata: #"{"words":2}"#,
                    status: status, error: status == .failed ? "broken" : nil, fingerprint: "text=m")
    }

    static func segment(_ kind: SegmentKind, _ ordinal: Int, _ text: String, source: String? = nil) -> IndexedSegment {
        IndexedSegment(kind: kind, ordinal: ordinal, start: kind == .transcript ? Double(ordinal) : nil,
                       end: kind == .transcript ? Double(ordinal) + 1 : nil, text: text, source: source)
    }

    /// Deterministic unit vectors (a 64-bit LCG), so a failure repeats.
    struct Vectors {
        var state: UInt64
        mutating func next(_ dimension: Int) -> [Float] {
            let v = (0..<dimension).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    @Test(arguments: IndexBackend.all)
    func storesItemsSegmentsAndVectorsAsGiven(backend: IndexBackend) throws {
        let (store, _, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let audio = Self.item("/m/talk.wav", modality: .audio)
        let photo = Self.item("/m/photo.jpg", hash: "h", modality: .image)
        let copy = Self.item("/m/copy.jpg", hash: "h", modality: .image)
        let stored = try store.replace(with: ItemContent(
            item: audio, segments: [(Self.segment(.transcript, 1, "second"), [0, 1]), (Self.segment(.transcript, 0, "first"), [1, 0]),
                                    (Self.segment(.filename, 0, "talk"), nil)], textModel: "m"))
        try store.replace(with: [ItemContent(item: photo, itemVectors: [("clip", [0.6, 0.8, 0])], textModel: "m"),
                                 ItemContent(item: copy, textModel: "m")])

        var expected = audio
        expected.id = stored.id
        #expect(stored.id != nil)
        #expect(try store.item(path: "/m/talk.wav") == expected)
        #expect(try store.item(path: "/m/none.wav") == nil)
        #expect(try store.allItems().map(\.path) == ["/m/copy.jpg", "/m/photo.jpg", "/m/talk.wav"], "by path")
        #expect(try store.items(contentHash: "h").map(\.path) == ["/m/photo.jpg", "/m/copy.jpg"], "in insertion order")
        let segments = try store.segments(itemId: stored.id!)
        #expect(segments.map(\.text) == ["talk", "first", "second"], "by kind, then ordinal")
        #expect(segments.allSatisfy { $0.itemId == stored.id! && $0.id != nil })
        #expect(segments[1].start == 0 && segments[1].end == 1)
        #expect(try store.counts() == (3, 0, 3, 3))

        let content = try store.content(of: stored, textModel: "m")
        #expect(content.segments.map(\.segment.text) == ["second", "first", "talk"], "in insertion order")
        #expect(content.segments.map(\.vector) == [[0, 1], [1, 0], nil])
        #expect(try store.content(of: stored, textModel: "other").segments.allSatisfy { $0.vector == nil })
        let photoContent = try store.content(of: try #require(try store.item(path: "/m/photo.jpg")), textModel: "m")
        #expect(photoContent.itemVectors.map(\.model) == ["clip"] && photoContent.itemVectors.map(\.vector) == [[0.6, 0.8, 0]])

        let records = try store.records(itemIds: [stored.id!, 999_999], segmentIds: [segments[2].id!])
        #expect(records.items == [stored.id!: expected], "ids that do not exist are left out")
        #expect(records.segments == [segments[2].id!: segments[2]])
    }

    @Test(arguments: IndexBackend.all)
    func replacingAPathRemovesWhatItHeld(backend: IndexBackend) throws {
        let (store, _, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let first = try store.replace(with: ItemContent(item: Self.item("/a.txt"), segments: [(Self.segment(.chunk, 0, "old"), [1, 0]),
                                                                                             (Self.segment(.chunk, 1, "old"), [0, 1])], textModel: "m"))
        var changed = Self.item("/a.txt", hash: "new")
        changed.status = .failed
        changed.error = "cannot read"
        let second = try store.replace(with: ItemContent(item: changed, segments: [(Self.segment(.filename, 0, "a"), [1, 0])], textModel: "m"))
        #expect(try store.item(path: "/a.txt")?.contentHash == "new")
        #expect(try store.item(path: "/a.txt")?.error == "cannot read")
        #expect(try store.segments(itemId: second.id!).map(\.text) == ["a"])
        #expect(try store.segments(itemId: first.id!).isEmpty || first.id == second.id)
        #expect(try store.counts() == (1, 1, 1, 1))
    }

    @Test(arguments: IndexBackend.all)
    func settingsAreKeptAndOverwritten(backend: IndexBackend) throws {
        let (store, url, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(try store.settings().isEmpty)
        try store.setSettings(["text.model": "a", "text.path": "/models/a"])
        try store.setSettings(["text.model": "b", "image.model": "clip"])
        let expected = ["text.model": "b", "text.path": "/models/a", "image.model": "clip"]
        #expect(try store.settings() == expected)
        #expect(try openIndex(url: url, access: .read).settings() == expected, "they outlive the connection")
    }

    /// One item (or one batch) is one transaction: a failure part-way through leaves nothing of it,
    /// and what the index held before stays.
    @Test(arguments: IndexBackend.all)
    func aFailedWriteLeavesNothingOfIt(backend: IndexBackend) throws {
        let (store, _, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let kept = ItemContent(item: Self.item("/kept.txt"), segments: [(Self.segment(.chunk, 0, "kept"), [1, 0])], textModel: "m")
        try store.replace(with: kept)
        let good = ItemContent(item: Self.item("/good.txt"), segments: [(Self.segment(.chunk, 0, "good"), [1, 0])], textModel: "m")
        // The second item fails after the first was written in the same transaction.
        let bad = ItemContent(item: Self.item("/kept.txt", hash: "changed"),
                              segments: [(Self.segment(.chunk, 0, "fine"), [0, 1]), (Self.segment(.chunk, 1, "broken"), [.nan, 0])],
                              textModel: "m")
        #expect(throws: IndexError.self) { try store.replace(with: [good, bad]) }
        #expect(throws: IndexError.self) { try store.replace(with: bad) }
        #expect(try store.item(path: "/good.txt") == nil, "the batch's first item went with the failed one")
        #expect(try store.item(path: "/kept.txt")?.contentHash == "/kept.txt", "the refused replacement left the old item")
        #expect(try store.counts() == (1, 0, 1, 1))
    }

    @Test(arguments: IndexBackend.all)
    func nonFiniteValuesAreRefusedNamingTheFile(backend: IndexBackend) throws {
        let (store, _, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var late = Self.segment(.transcript, 0, "words")
        late.end = .infinity
        let contents = [
            ItemContent(item: Self.item("/nan.txt"), segments: [(Self.segment(.chunk, 0, "x"), [1, .nan])], textModel: "m"),
            ItemContent(item: Self.item("/inf.wav", modality: .audio), segments: [(late, [1, 0])], textModel: "m"),
            ItemContent(item: Self.item("/inf.jpg", modality: .image), itemVectors: [("clip", [.infinity, 0])], textModel: "m"),
        ]
        for content in contents {
            let error = #expect(throws: IndexError.self) { try store.replace(with: content) }
            guard case .nonFinite(let path, _) = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(path == content.item.path)
        }
        #expect(try store.counts() == (0, 0, 0, 0))
    }

    @Test(arguments: IndexBackend.all)
    func movesTouchesCaptionsAndDeletes(backend: IndexBackend) throws {
        let (store, _, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let photo = try store.replace(with: ItemContent(
            item: Self.item("/old/cat.jpg", modality: .image),
            segments: [(Self.segment(.filename, 0, "cat"), [1, 0]), (Self.segment(.caption, 0, "a cat", source: "smolvlm"), [0, 1]),
                       (Self.segment(.caption, 0, "a kitten", source: "other"), [0, 1])],
            itemVectors: [("clip", [1, 0])], textModel: "m"))
        try store.replace(with: ItemContent(item: Self.item("/new/kitty.jpg", hash: "stale"), textModel: "m"))

        // Moved onto a path the index held: that item goes.
        try store.move(photo, to: "/new/kitty.jpg", size: 20, mtime: 200,
                       filename: (Self.segment(.filename, 0, "kitty"), [0.6, 0.8], "m"))
        #expect(try store.item(path: "/old/cat.jpg") == nil)
        let moved = try #require(try store.item(path: "/new/kitty.jpg"))
        #expect(moved.id == photo.id && moved.contentHash == photo.contentHash && moved.size == 20 && moved.mtime == 200)
        #expect(try store.segments(itemId: photo.id!).map(\.text).sorted() == ["a cat", "a kitten", "kitty"])
        #expect(try store.counts() == (1, 0, 3, 4))

        try store.touch(moved, size: 30, mtime: 300)
        #expect(try store.item(path: "/new/kitty.jpg").map { [$0.size, Int64($0.mtime)] } == [30, 300])

        try store.replaceSegments(of: moved, kind: .caption, source: "smolvlm",
                                  with: [(Self.segment(.caption, 0, "a grey cat", source: "smolvlm"), [0, 1]),
                                         (Self.segment(.caption, 1, "on a mat", source: "smolvlm"), [1, 0])], model: "m")
        #expect(try store.segments(itemId: moved.id!).filter { $0.kind == .caption }.map(\.text).sorted() == ["a grey cat", "a kitten", "on a mat"],
                "only that captioner's captions are replaced")
        #expect(try store.counts() == (1, 0, 4, 5))

        try store.delete(itemIds: [])
        try store.delete(itemIds: [moved.id!])
        #expect(try store.allItems().isEmpty)
        #expect(try store.counts() == (0, 0, 0, 0), "segments and vectors go with their item")
    }

    /// `nearest` (the backend's, whether it is the default scan or its database's) ranks as a brute
    /// force over the stored vectors does: per item or per vector, with modality and hash filters.
    @Test(arguments: IndexBackend.all)
    func nearestEqualsBruteForce(backend: IndexBackend) throws {
        let (store, _, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var random = Vectors(state: 7)
        var stored: [(path: String, modality: Modality, hash: String, status: ItemStatus, vectors: [[Float]])] = []
        for i in 0..<40 {
            let modality: Modality = [.text, .audio, .image][i % 3]
            let status: ItemStatus = i % 13 == 5 ? .failed : .ok
            stored.append(("/n/\(i)", modality, "hash\(i % 20)", status, (0...(i % 4)).map { _ in random.next(8) }))
        }
        try store.replace(with: stored.map { entry in
            ItemContent(item: Self.item(entry.path, hash: entry.hash, modality: entry.modality, status: entry.status),
                        segments: entry.vectors.enumerated().map { (Self.segment(.chunk, $0.offset, "t"), $0.element) },
                        itemVectors: [("other", random.next(4))], textModel: "m")
        })
        // Each stored vector as (item id, segment id, vector), of the items that were read.
        var rows: [(item: Int64, segment: Int64, modality: Modality, hash: String, vector: [Float])] = []
        for entry in stored where entry.status == .ok {
            let item = try #require(try store.item(path: entry.path))
            for (segment, vector) in zip(try store.segments(itemId: item.id!), entry.vectors) {
                rows.append((item.id!, segment.id!, entry.modality, entry.hash, vector))
            }
        }
        let query = random.next(8)
        func bruteForce(k: Int, filter: VectorFilter) -> [VectorMatch] {
            var matches = rows.filter { filter.modalities.contains($0.modality) && !filter.excludedHashes.contains($0.hash) }
                .map { VectorMatch(itemId: $0.item, segmentId: $0.segment, score: zip($0.vector, query).reduce(0) { $0 + $1.0 * $1.1 }) }
                .sorted { $0.score > $1.score }
            if filter.onePerItem {
                var seen = Set<Int64>()
                matches = matches.filter { seen.insert($0.itemId).inserted }
            }
            return Array(matches.prefix(k))
        }
        var filters = [VectorFilter()]
        var perVector = VectorFilter()
        perVector.onePerItem = false
        filters.append(perVector)
        var narrowed = VectorFilter()
        narrowed.modalities = [.text, .image]
        narrowed.excludedHashes = ["hash3", "hash6"]
        filters.append(narrowed)
        for filter in filters {
            for k in [1, 7, 1000] {
                let found = try store.nearest(to: query, model: "m", k: k, filter: filter)
                let expected = bruteForce(k: k, filter: filter)
                #expect(found.map(\.itemId) == expected.map(\.itemId), "k \(k), \(filter)")
                #expect(found.map(\.segmentId) == expected.map(\.segmentId), "k \(k), \(filter)")
                #expect(zip(found, expected).allSatisfy { abs($0.score - $1.score) < 1e-5 })
            }
        }
        #expect(try store.nearest(to: query, model: "unknown", k: 5, filter: VectorFilter()).isEmpty)
        let wrongSize = #expect(throws: IndexError.self) { try store.nearest(to: [1, 0], model: "m", k: 5, filter: VectorFilter()) }
        #expect(wrongSize == .badEmbedding(model: "m", reason: "query vector of size 2, the index holds size 8"))

        // The searcher over this backend ranks the same items.
        let hits = try IndexSearcher(store: store).search([QueryVector(model: "m", vector: query)])
        let top = bruteForce(k: 10, filter: VectorFilter()).map(\.itemId)
        let items = try store.records(itemIds: top, segmentIds: []).items
        #expect(top.count == 10 && hits.map(\.path) == top.map { items[$0]?.path })
    }

    @Test(arguments: IndexBackend.all)
    func readAccessRefusesWrites(backend: IndexBackend) throws {
        let (store, url, scratch) = try fresh(backend)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let item = try store.replace(with: ItemContent(item: Self.item("/a.txt"), segments: [(Self.segment(.chunk, 0, "a"), [1, 0])],
                                                       textModel: "m"))
        try store.setSettings(["text.model": "m"])
        let reader = try openIndex(url: url, access: .read)
        #expect(reader.access == .read)
        let writes: [(String, () throws -> Void)] = [
            ("replace", { try reader.replace(with: ItemContent(item: Self.item("/b.txt"), textModel: "m")) }),
            ("replace batch", { try reader.replace(with: [ItemContent(item: Self.item("/b.txt"), textModel: "m")]) }),
            ("settings", { try reader.setSettings(["text.model": "x"]) }),
            ("move", { try reader.move(item, to: "/c.txt", size: 1, mtime: 1, filename: nil) }),
            ("touch", { try reader.touch(item, size: 1, mtime: 1) }),
            ("captions", { try reader.replaceSegments(of: item, kind: .caption, source: nil, with: [], model: "m") }),
            ("delete", { try reader.delete(itemIds: [item.id!]) }),
        ]
        for (name, write) in writes {
            #expect(throws: IndexError.self, "\(name)") { try write() }
        }
        #expect(try reader.counts() == (1, 0, 1, 1))
        #expect(try reader.item(path: "/a.txt") == item)
        #expect(try reader.settings() == ["text.model": "m"])
        #expect(try reader.nearest(to: [1, 0], model: "m", k: 1, filter: VectorFilter()).map(\.itemId) == [item.id!])
    }

    @Test func postgresIsTestedWhereRequired() {
        // Prints the skip note, or fails under LOOM_REQUIRE_MODELS=1, when PostgreSQL is missing.
        if !PostgresTestCluster.isInstalled { _ = PostgresTestCluster.shared() }
    }

    @Test func anUnknownSchemeIsRefusedWithoutItsPassword() throws {
        let url = try #require(URL(string: "https://user:secret@db.example/media"))
        let error = #expect(throws: IndexError.self) { try openIndex(url: url, access: .read) }
        #expect(error?.description == "https://db.example: database error: Loom keeps indexes in files or in PostgreSQL; "
            + "pass --index with a file path or a postgres:// URL")
        #expect(error?.description.contains("secret") == false, "a password in the URL is never shown")
    }

    @Test func indexArgumentsAreFilesUnlessTheyArePostgresURLs() throws {
        #expect(try indexURL("media.loom") == URL(fileURLWithPath: "media.loom"))
        #expect(try indexURL("postgres.loom").isFileURL)
        #expect(try indexURL("postgres://u@h:5/db").absoluteString == "postgres://u@h:5/db")
        #expect(try indexURL("PostgreSQL://u@h/db").host == "h")
        #expect(throws: IndexError.self) { try indexURL("postgres://h:port/db") }
    }
}
