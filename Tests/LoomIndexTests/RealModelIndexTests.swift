import Foundation
@testable import LoomIndex
import LoomTestSupport
import Testing

/// MiniLM + whisper-tiny.en (+ the tiny random CLIP for image plumbing) on Samples: spoken sentences
/// are found by paraphrase, at the right clip and time, and re-runs cost no model work.
@Suite("Index with real models", .serialized)
struct RealModelIndexTests {
    /// Counts texts through the real embedder.
    final class Counting: TextEmbedding {
        let inner: SentenceTextEmbedder
        var texts = 0
        init(_ inner: SentenceTextEmbedder) { self.inner = inner }
        var modelID: String { inner.modelID }
        var dimension: Int { inner.dimension }
        func embed(_ texts: [String]) throws -> [[Float]] { self.texts += texts.count; return try inner.embed(texts) }
    }

    @Test func paraphrasesFindTheClipAndTimeAndRerunsEmbedNothing() throws {
        guard InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil,
              InstalledModels.file("whisper-tiny.en", "model.bin") != nil else { return }
        let folder = try Fixtures.temporaryDirectory("index-real")
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("corpus")
        try writeTexts(corpus, sampleTexts)
        for name in ["audio/jfk.wav", "audio/arctic_a0007.wav", "images/chelsea.jpg", "images/astronaut.png"] {
            try FileManager.default.copyItem(at: Fixtures.sample(name), to: corpus.appendingPathComponent((name as NSString).lastPathComponent))
        }
        let text = Counting(try SentenceTextEmbedder(folder: InstalledModels.folder("minilm-l6-v2")!, modelID: "minilm-l6-v2"))
        let whisper = try WhisperSpeechTranscriber(folder: InstalledModels.folder("whisper-tiny.en")!, modelID: "whisper-tiny.en")
        let clip = try DualEncoderImageEmbedder(folder: Fixtures.url("clip/tiny-random"), modelID: "clip-tiny-random")
        let store = try SQLiteIndexStore(url: folder.appendingPathComponent("media.loom"), create: true)
        let builder = try IndexBuilder(store: store, textEmbedder: text, imageEmbedder: clip, transcriber: whisper)
        let files = try IndexBuilder.files(in: [corpus], recursive: true)
        let summary = try builder.index(files)
        #expect(summary.added == 7 && summary.failed == 0, "\(summary.failures)")

        let encoder = QueryEncoder(textEmbedder: text, imageEmbedder: clip, transcriber: whisper)
        let searcher = IndexSearcher(store: store)
        func top(_ query: String) throws -> SearchHit {
            let hits = try searcher.search(try encoder.queries(text: query))
            for hit in hits.prefix(3) { print(query, "->", hit.score, (hit.path as NSString).lastPathComponent, hit.start ?? -1, hit.end ?? -1, hit.text ?? "") }
            return try #require(hits.first)
        }
        // "ask what you can do for your country" is spoken from about 8 s to the end (11 s).
        let jfk = try top("find out how you could help your nation")
        #expect(jfk.path.hasSuffix("jfk.wav") && jfk.match == "transcript")
        #expect(jfk.text?.lowercased().contains("what you can do for your country") == true)
        let (start, end) = (try #require(jfk.start), try #require(jfk.end))
        #expect(start >= 6 && start <= 9 && end >= 10 && end <= 11.1, "time range \(start)-\(end)")
        let arctic = try top("people always wish to see things in the highest degree")
        #expect(arctic.path.hasSuffix("arctic_a0007.wav") && arctic.start == 0)
        #expect(try top("how often should I change the oil of a diesel motor").path.hasSuffix("engine.txt"))
        #expect(try top("growing tomato plants in sunshine").path.hasSuffix("garden.md"))

        // Query by example: the same speech in another file finds the clip, not itself.
        var options = SearchOptions()
        let like = try encoder.queries(like: Fixtures.sample("audio/jfk.flac"))
        options.excludedHashes = [like.contentHash]
        #expect(try searcher.search(like.queries, options: options).first?.path.hasSuffix("jfk.wav") == true)
        // An image finds the other image through the image model's vectors, itself left out.
        let image = try encoder.queries(like: corpus.appendingPathComponent("chelsea.jpg"))
        options.excludedHashes = [image.contentHash]
        let imageHit = try #require(try searcher.search(image.queries, options: options).first)
        #expect(imageHit.path.hasSuffix("astronaut.png") && imageHit.match == "image")

        // Nothing changed: no text embedded, no audio transcribed.
        let quiet = Counting(text.inner)
        let again = try IndexBuilder(store: store, textEmbedder: quiet, imageEmbedder: clip, transcriber: whisper).index(files)
        #expect(again.unchanged == 7 && quiet.texts == 0)
    }
}
