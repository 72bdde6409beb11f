import Foundation
@testable import LoomIndex
import LoomMedia
import LoomTestSupport
import Testing

/// Incremental indexing with counting stand-in models: what is embedded, when, and what is kept.
@Suite("Index builder")
struct IndexBuilderTests {
    struct Setup {
        let folder: URL
        let corpus: URL
        let store: SQLiteIndexStore
        let embedder = HashingTextEmbedder()
        let transcriber = FakeTranscriber()

        init() throws {
            folder = try Fixtures.temporaryDirectory("index-builder")
            corpus = folder.appendingPathComponent("corpus")
            try writeTexts(corpus, sampleTexts)
            try FileManager.default.copyItem(at: Fixtures.sample("audio/arctic_a0007.wav"), to: corpus.appendingPathComponent("arctic.wav"))
            try FileManager.default.copyItem(at: Fixtures.sample("images/chelsea.jpg"), to: corpus.appendingPathComponent("cat photo.jpg"))
            store = try SQLiteIndexStore(url: folder.appendingPathComponent("media.loom"), create: true)
        }

        func builder(_ embedder: HashingTextEmbedder? = nil, store: SQLiteIndexStore? = nil) throws -> IndexBuilder {
            try IndexBuilder(store: store ?? self.store, textEmbedder: embedder ?? self.embedder, transcriber: transcriber)
        }

        func files() throws -> [URL] { try IndexBuilder.files(in: [corpus], recursive: true) }
        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func firstRunAddsEveryFileWithItsSegments() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let files = try setup.files()
        #expect(files.map(\.lastPathComponent) == ["arctic.wav", "cat photo.jpg", "engine.txt", "garden.md", "recipe.txt"])
        let summary = try setup.builder().index(files)
        #expect(summary.added == 5 && summary.failed == 0)
        let audio = try #require(try setup.store.item(path: files[0].path))
        #expect(audio.modality == .audio && audio.contentHash.count == 64)
        let segments = try setup.store.segments(itemId: audio.id!)
        #expect(segments.filter { $0.kind == .transcript }.map(\.start) == [0, 2])
        #expect(segments.filter { $0.kind == .filename }.map(\.text) == ["arctic"])
        let image = try #require(try setup.store.item(path: files[1].path))
        #expect(image.metadata == #"{"height":300,"width":451}"#)
        #expect(try setup.store.segments(itemId: image.id!).map(\.text) == ["cat photo"])
        let counts = try setup.store.counts()
        #expect(counts.segments == counts.vectors, "every segment has its text vector")
    }

    @Test func linesReadInImagesAreSegmentsAndAChangedReaderReindexes() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let reader = FakeTextReader()
        let builder = try IndexBuilder(store: setup.store, textEmbedder: setup.embedder, transcriber: setup.transcriber, textReader: reader)
        let files = try setup.files()
        _ = try builder.index(files)
        #expect(reader.calls == 1, "only the image is read")
        let image = try #require(try setup.store.item(path: files[1].path))
        let segments = try setup.store.segments(itemId: image.id!)
        #expect(segments.filter { $0.kind == .ocr }.map(\.text) == ["FRESH COFFEE", "open daily 7 to 19"])
        #expect(segments.filter { $0.kind == .ocr }.allSatisfy { $0.source == "fake-ocr" })
        #expect(try setup.store.settings()["ocr.model"] == "fake-ocr")
        let hits = try IndexSearcher(store: setup.store).search([QueryVector(model: "hashing-64", vector: HashingTextEmbedder.vector("fresh coffee"))])
        #expect(hits.first?.path == files[1].path && hits.first?.match == "ocr")

        // Unchanged: the reader is not asked again. Another OCR model: the image is read again.
        _ = try builder.index(files)
        #expect(reader.calls == 1)
        let other = FakeTextReader(modelID: "other-ocr", lines: ["CLOSED"])
        let summary = try IndexBuilder(store: setup.store, textEmbedder: setup.embedder, transcriber: setup.transcriber, textReader: other).index(files)
        #expect(other.calls == 1 && summary.updated == 1)
        let updated = try #require(try setup.store.item(path: files[1].path))
        #expect(try setup.store.segments(itemId: updated.id!).filter { $0.kind == .ocr }.map(\.text) == ["CLOSED"])
    }

    @Test func rerunEmbedsNothingAndEditsMovesAndDeletesAreFollowed() throws {
        let setup = try Setup()
        defer { setup.remove() }
        _ = try setup.builder().index(try setup.files())

        // Nothing changed: no model runs at all.
        let quiet = HashingTextEmbedder()
        let transcriptions = setup.transcriber.calls
        var summary = try setup.builder(quiet).index(try setup.files())
        #expect(summary.unchanged == 5 && summary.added + summary.updated + summary.moved == 0)
        #expect(quiet.embedded.isEmpty && setup.transcriber.calls == transcriptions)

        // Touched but same bytes: hashed, not embedded.
        let engine = setup.corpus.appendingPathComponent("engine.txt")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: engine.path)
        summary = try setup.builder(quiet).index(try setup.files())
        #expect(summary.unchanged == 5 && quiet.embedded.isEmpty)

        // A changed file is embedded again, and only it.
        try "The petrol engine needs new spark plugs.".write(to: engine, atomically: true, encoding: .utf8)
        summary = try setup.builder(quiet).index(try setup.files())
        #expect(summary.updated == 1 && summary.unchanged == 4)
        #expect(quiet.embedded == ["The petrol engine needs new spark plugs.", "engine"])

        // A moved file (same name, other folder) keeps its vectors: no embedding, no transcription.
        let moved = HashingTextEmbedder()
        let movedTo = setup.corpus.appendingPathComponent("archive/arctic.wav")
        try FileManager.default.createDirectory(at: movedTo.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: setup.corpus.appendingPathComponent("arctic.wav"), to: movedTo)
        let before = try setup.store.item(path: setup.corpus.appendingPathComponent("arctic.wav").path)
        summary = try setup.builder(moved).index(try setup.files())
        #expect(summary.moved == 1 && summary.unchanged == 4 && summary.added == 0)
        #expect(moved.embedded.isEmpty && setup.transcriber.calls == transcriptions + 0)
        #expect(try setup.store.item(path: movedTo.path)?.id == before?.id)

        // A renamed file embeds only its new name.
        let renamed = HashingTextEmbedder()
        try FileManager.default.moveItem(at: setup.corpus.appendingPathComponent("garden.md"),
                                         to: setup.corpus.appendingPathComponent("vegetables.md"))
        summary = try setup.builder(renamed).index(try setup.files())
        #expect(summary.moved == 1 && renamed.embedded == ["vegetables"])

        // A deleted file stays until --prune, which removes it with its segments and vectors.
        try FileManager.default.removeItem(at: setup.corpus.appendingPathComponent("notes/recipe.txt"))
        let builder = try setup.builder(HashingTextEmbedder())
        summary = try builder.index(try setup.files())
        #expect(try setup.store.counts().items == 5)
        #expect(try builder.prune(under: [setup.corpus]) == 1)
        #expect(try setup.store.item(path: setup.corpus.appendingPathComponent("notes/recipe.txt").path) == nil)
        let counts = try setup.store.counts()
        #expect(counts.items == 4 && counts.segments == counts.vectors)
        // Pruning another folder leaves these items alone.
        #expect(try builder.prune(under: [setup.folder.appendingPathComponent("elsewhere")]) == 0)
    }

    @Test func copiesReuseVectorsAndModelChangesReindex() throws {
        let setup = try Setup()
        defer { setup.remove() }
        _ = try setup.builder().index(try setup.files())
        try FileManager.default.copyItem(at: setup.corpus.appendingPathComponent("engine.txt"),
                                         to: setup.corpus.appendingPathComponent("engine copy.txt"))
        let copies = HashingTextEmbedder()
        let summary = try setup.builder(copies).index(try setup.files())
        #expect(summary.added == 1 && copies.embedded == ["engine copy"])
        // Another text model for the same index: refused, since its vectors would not compare.
        #expect(throws: IndexError.modelMismatch(path: setup.store.url.path, role: "text", indexed: "hashing-64", requested: "other")) {
            try setup.builder(HashingTextEmbedder(modelID: "other"))
        }
    }

    @Test func corruptFilesAreRecordedAsFailedAndTheRestGoOn() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let bad = ["broken.png": Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]), "noise.wav": Data("RIFF....WAVEjunk".utf8),
                   "binary.txt": Data([0x66, 0xFF, 0xFE, 0x00, 0x41])]
        for (name, data) in bad { try data.write(to: setup.corpus.appendingPathComponent(name)) }
        let summary = try setup.builder().index(try setup.files())
        #expect(summary.added == 5 && summary.failed == 3)
        for name in bad.keys {
            let item = try #require(try setup.store.item(path: setup.corpus.appendingPathComponent(name).path))
            #expect(item.status == .failed)
            print("failed as expected:", item.error ?? "")
            #expect(item.error?.contains(name) == true, "the error names the file")
        }
        #expect(summary.failures.count == 3)
        // Failed items are not searchable and are retried on the next run.
        let again = try setup.builder().index(try setup.files())
        #expect(again.failed == 3 && again.unchanged == 5)
        // An unsupported file named outright is reported, not recorded.
        let other = setup.corpus.appendingPathComponent("data.bin")
        try Data([1, 2, 3]).write(to: other)
        guard case .failed(let message) = try setup.builder().index(file: other) else { Issue.record("expected failure"); return }
        #expect(message.contains("data.bin") && message.contains("not a file type"))
        #expect(try setup.store.item(path: other.path) == nil)
    }

    /// `loom index` on a FIFO blocked forever and on a symlink to /dev/zero hashed forever: folders
    /// skip them, named they are refused, and `index(file:)` reports them without opening them.
    @Test func fifosAndDevicesAreSkippedOrRefusedWithoutHanging() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let fifo = setup.corpus.appendingPathComponent("pipe.txt"), zero = setup.corpus.appendingPathComponent("zero.wav")
        try SpecialFiles.makeFIFO(fifo)
        try SpecialFiles.linkToDevZero(zero)
        #expect(try setup.files().map(\.lastPathComponent) == ["arctic.wav", "cat photo.jpg", "engine.txt", "garden.md", "recipe.txt"])
        for path in [fifo, zero] {
            #expect(throws: FileAccessError.notARegularFile(path: path.path)) { try IndexBuilder.files(in: [path], recursive: false) }
        }
        let store = setup.store
        let outcomes = SpecialFiles.finishing(within: 60) { () -> [String] in
            guard let builder = try? IndexBuilder(store: store, textEmbedder: HashingTextEmbedder()) else { return [] }
            return [fifo, zero].map { path in
                guard case .failed(let error)? = try? builder.index(file: path) else { return "not failed" }
                return error
            }
        }
        #expect(outcomes?.count == 2, "indexing a FIFO or /dev/zero hung")
        for error in outcomes ?? [] { #expect(error.contains("not a regular file"), "\(error)") }
    }

    /// Names that are not UTF-8 (Latin-1 `café`) were skipped by the folder walk; they are indexed,
    /// read and re-found unchanged, and errors show their bytes escaped.
    @Test func latin1NamesAreIndexed() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let cafe = Array("caf".utf8) + [0xE9]
        try SpecialFiles.create(cafe + Array(".txt".utf8), in: setup.corpus, contents: Data("Espresso and croissants every morning.".utf8))
        try SpecialFiles.create(SpecialFiles.latin1Name, in: setup.corpus, contents: try Data(contentsOf: Fixtures.sample("audio/jfk.wav")))
        try SpecialFiles.create(cafe + Array(".png".utf8), in: setup.corpus, contents: Data("not an image".utf8))
        let files = try setup.files()
        #expect(files.map { DisplayPath.escaping($0.lastPathComponent) }
                == ["arctic.wav", "caf\\xE9.png", "caf\\xE9.txt", "caf\\xE9.wav", "cat photo.jpg", "engine.txt", "garden.md", "recipe.txt"])
        let embedder = HashingTextEmbedder()
        let summary = try setup.builder(embedder).index(files)
        #expect(summary.added == 7 && summary.failed == 1, "\(summary.failures)")
        #expect(embedder.embedded.contains("Espresso and croissants every morning."))
        #expect(summary.failures.first?.error.contains("caf\\xE9.png: cannot decode") == true, "\(summary.failures)")
        #expect(try setup.builder().index(files).unchanged == 7)
    }

    @Test func interruptedRunThenRerunEqualsUninterruptedRun() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let files = try setup.files()
        // Killed during the third file's embedding: the first two files are committed, nothing else.
        let dying = HashingTextEmbedder()
        dying.failAfter = 2
        #expect(throws: CancellationError.self) { try setup.builder(dying).index(files) }
        #expect(try setup.store.counts().items == 2)
        let resumed = try setup.builder().index(files)
        #expect(resumed.unchanged == 2 && resumed.added == 3)

        let fresh = try SQLiteIndexStore(url: setup.folder.appendingPathComponent("fresh.loom"), create: true)
        _ = try setup.builder(HashingTextEmbedder(), store: fresh).index(files)
        let (a, b) = (try IndexSnapshot(setup.store), try IndexSnapshot(fresh))
        #expect(a.items == b.items)
        #expect(a.segments == b.segments)
        #expect(a.vectors == b.vectors)
        #expect(a.vectors.count == 10)
    }

    @Test func captionsAreStoredEmbeddedAndKeptAcrossMoves() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let builder = try setup.builder()
        _ = try builder.index(try setup.files())
        let photo = setup.corpus.appendingPathComponent("cat photo.jpg")
        try builder.setCaption("A tabby cat lying on a wooden floor", forFileAt: photo, captioner: "smolvlm")
        try builder.setCaption("A tabby cat sleeping", forFileAt: photo, captioner: "smolvlm")  // replaces
        let calls = setup.embedder.calls
        try builder.setCaption("A tabby cat sleeping", forFileAt: photo, captioner: "smolvlm")  // same again
        #expect(setup.embedder.calls == calls, "an unchanged caption is not embedded again")
        let item = try #require(try setup.store.item(path: photo.path))
        #expect(try setup.store.segments(itemId: item.id!).filter { $0.kind == .caption }.map(\.text) == ["A tabby cat sleeping"])
        #expect(throws: IndexError.notIndexed(path: setup.folder.appendingPathComponent("x.jpg").path, index: setup.store.url.path)) {
            try builder.setCaption("x", forFileAt: setup.folder.appendingPathComponent("x.jpg"), captioner: "c")
        }
        // The caption finds the image.
        let searcher = IndexSearcher(store: setup.store)
        let hits = try searcher.search([QueryVector(model: "hashing-64", vector: HashingTextEmbedder.vector("sleeping tabby"))])
        #expect(hits.first?.path == photo.path && hits.first?.match == "caption")
        // A move keeps it.
        let movedTo = setup.corpus.appendingPathComponent("pets/cat photo.jpg")
        try FileManager.default.createDirectory(at: movedTo.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: photo, to: movedTo)
        _ = try setup.builder().index(try setup.files())
        let moved = try #require(try setup.store.item(path: movedTo.path))
        #expect(try setup.store.segments(itemId: moved.id!).contains { $0.kind == .caption })
    }

    /// A transcriber that returns an infinite time (or NaN) fails that file, named, and the run goes on.
    @Test func nonFiniteTranscriptTimesFailTheFileNotTheRun() throws {
        final class BrokenTimes: SpeechTranscribing {
            let modelID = "broken-asr"
            func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double) {
                ([TimedText(start: 0, end: .infinity, text: "words")], "en", .nan)
            }
        }
        let setup = try Setup()
        defer { setup.remove() }
        let builder = try IndexBuilder(store: setup.store, textEmbedder: setup.embedder, transcriber: BrokenTimes())
        let summary = try builder.index(try setup.files())
        #expect(summary.added == 4 && summary.failed == 1, "\(summary.failures)")
        let path = setup.corpus.appendingPathComponent("arctic.wav").path
        #expect(summary.failures.first?.error.hasPrefix("\(path): the end time of transcript segment 0 (inf) is NaN or infinite") == true,
                "\(summary.failures)")
        #expect(try setup.store.item(path: path)?.status == .failed)
    }

    @Test func searchRanksAcrossMediaWithFiltersAndExclusions() throws {
        let setup = try Setup()
        defer { setup.remove() }
        _ = try setup.builder().index(try setup.files())
        let searcher = IndexSearcher(store: setup.store)
        func query(_ text: String) -> [QueryVector] { [QueryVector(model: "hashing-64", vector: HashingTextEmbedder.vector(text))] }
        var hits = try searcher.search(query("oil change for the diesel engine"))
        #expect(hits.first?.path.hasSuffix("engine.txt") == true)
        #expect(Set(hits.map(\.path)).count == hits.count, "one hit per item")
        hits = try searcher.search(query("spoken words at second 2"))
        #expect(hits.first?.modality == .audio)
        #expect(hits.first?.start == 2 && hits.first?.end == 4)
        var options = SearchOptions()
        options.modalities = [.image]
        hits = try searcher.search(query("oil change for the diesel engine"), options: options)
        #expect(hits.allSatisfy { $0.modality == .image } && hits.count == 1)
        options = SearchOptions()
        options.groupByItem = false
        options.k = 3
        hits = try searcher.search(query("spoken words at second"), options: options)
        #expect(hits.count == 3 && hits.filter { $0.modality == .audio }.count >= 2, "segments listed one by one")
        let engine = try #require(try setup.store.item(path: setup.corpus.appendingPathComponent("engine.txt").path))
        options = SearchOptions()
        options.excludedHashes = [engine.contentHash]
        hits = try searcher.search(query("oil change for the diesel engine"), options: options)
        #expect(!hits.contains { $0.path.hasSuffix("engine.txt") })
    }
}
