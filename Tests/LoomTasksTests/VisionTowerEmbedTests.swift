import Foundation
import LoomMedia
import LoomTasks
import LoomTestSupport
import Testing

/// Vision towers saved alone (CLIPVisionModelWithProjection, model_type clip_vision_model;
/// SiglipVisionModel, siglip_vision_model) embed images as transformers does, at sizes no other fixture
/// uses (Scripts/reference/dump_vision_towers.py), and refuse texts saying the full model is needed.
@Suite struct VisionTowerEmbedTests {
    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).map(*).reduce(0, +)
        return dot / (sqrt(a.map { $0 * $0 }.reduce(0, +)) * sqrt(b.map { $0 * $0 }.reduce(0, +)))
    }

    @Test(arguments: [("clip", 20), ("siglip", 36)])
    func imageEmbeddingsMatchTransformers(family: String, dimension: Int) throws {
        let task = try DualEncoderTask(folder: Fixtures.url("vision-towers/\(family)/model"))
        #expect(task.isVisionOnly && task.dimension == dimension && !task.embedsText)
        for (image, file) in [("chelsea", "chelsea.jpg"), ("astronaut", "astronaut.png")] {
            let expected = try Fixtures.floats("vision-towers/\(family)/image_embeds_\(image).f32")
            let actual = try task.imageEmbedding(try ImageDecoder().decode(contentsOf: Fixtures.sample("images/\(file)")))
            let cos = Self.cosine(actual, expected)
            #expect(actual.count == dimension && cos >= 0.9999, "\(family) \(image): cosine \(cos)")
        }
    }

    @Test(arguments: ["clip", "siglip"])
    func textsNeedTheFullModel(family: String) throws {
        let task = try DualEncoderTask(folder: Fixtures.url("vision-towers/\(family)/model"))
        #expect(throws: (any Error).self) { try task.textEmbedding("a cat") }
        let reason = try #require(task.whyNoText)
        #expect(reason.contains("vision tower alone") && reason.contains("full") && reason.contains("config.json"), "\(reason)")
    }
}
