import Foundation
@testable import LoomIndex
import LoomTestSupport
import Testing

/// A text query reaches image vectors through the image model's own text tower (CLIP), with the same
/// embedding transformers gives for that text (golden from Scripts/reference/dump_clip_text.py).
@Suite("Text to image search")
struct TextToImageSearchTests {
    struct Golden: Decodable {
        struct Case: Decodable { let text: String; let embedding: [Float] }
        let cases: [Case]
    }

    @Test func textQueriesScoreImagesWithTheCLIPTextTower() throws {
        let clip = try DualEncoderImageEmbedder(folder: Fixtures.url("vision-embed/clip"), modelID: "clip-tiny")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Fixtures.url("vision-embed/clip_text.json")))
        let reference = try #require(golden.cases.first)
        let encoder = QueryEncoder(textEmbedder: HashingTextEmbedder(), imageEmbedder: clip)
        let queries = try encoder.queries(text: reference.text)
        let imageQuery = try #require(queries.first { $0.model == "clip-tiny" })
        let diff = maxAbsDiff(imageQuery.vector, reference.embedding)
        print("clip text query maxdiff", diff)
        #expect(diff < 1e-5)

        // Indexed images are ranked by that query vector's cosine with their image vectors.
        let folder = try Fixtures.temporaryDirectory("text-to-image")
        defer { try? FileManager.default.removeItem(at: folder) }
        var expected: [(String, Float)] = []
        for name in ["chelsea.jpg", "astronaut.png"] {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.copyItem(at: Fixtures.sample("images/" + name), to: url)
            let vector = try clip.embed(imageAt: url).vector
            expected.append((name, zip(vector, imageQuery.vector).reduce(0) { $0 + $1.0 * $1.1 }))
        }
        let store = try SQLiteIndexStore(url: folder.appendingPathComponent("media.loom"), create: true)
        let builder = try IndexBuilder(store: store, textEmbedder: HashingTextEmbedder(), imageEmbedder: clip)
        _ = try builder.index(try IndexBuilder.files(in: [folder], recursive: false))
        let hits = try IndexSearcher(store: store).search([imageQuery]).filter { $0.match == "image" }
        let best = try #require(expected.max { $0.1 < $1.1 })
        #expect(hits.first.map { ($0.path as NSString).lastPathComponent } == best.0)
        #expect(abs((hits.first?.score ?? 0) - best.1) < 1e-5)
    }
}
