import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// The reference outputs written by Scripts/reference/dump_clip_siglip.py.
struct DualEncoderReference: Decodable {
    let images: [String]
    let ids: [[Int]]
    let logitScale: Float
    let logitBias: Float?

    enum CodingKeys: String, CodingKey {
        case images, ids, logitScale = "logit_scale", logitBias = "logit_bias"
    }

    static func load(_ family: String) throws -> DualEncoderReference {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: Fixtures.url("\(family)/reference.json")))
    }

    /// File stems of the sample images ("chelsea").
    var stems: [String] { images.map { ($0 as NSString).deletingPathExtension } }
}

/// Pixel values (3, 32, 32) as the reference processor produced them.
func referencePixels(_ family: String, _ stem: String) throws -> Tensor {
    Tensor(shape: [3, 32, 32], data: try Fixtures.floats("\(family)/pixel_values_\(stem).f32"))
}

/// Tolerance for every activation against transformers: 1e-4 max abs diff.
let referenceTolerance: Float = 1e-4

@Suite("CLIP matches transformers' CLIPModel (tiny seeded model)")
struct CLIPReferenceTests {
    let folder = Fixtures.url("clip/tiny-random")

    @Test func visionTowerAndImageEmbeddings() throws {
        let model = try CLIPModel(folder: folder)
        let reference = try DualEncoderReference.load("clip")
        for stem in reference.stems {
            let output = try model.vision(try referencePixels("clip", stem))
            #expect(output.lastHiddenState.shape == [17, 32])
            let hidden = maxAbsDiff(output.lastHiddenState.data, try Fixtures.floats("clip/vision_last_hidden_state_\(stem).f32"))
            let pooled = maxAbsDiff(output.pooled!.data, try Fixtures.floats("clip/vision_pooled_\(stem).f32"))
            let embedding = try model.imageEmbedding(pixelValues: try referencePixels("clip", stem))
            #expect(embedding.count == 24)
            let embeds = maxAbsDiff(embedding, try Fixtures.floats("clip/image_embeds_\(stem).f32"))
            print("clip \(stem) last_hidden_state maxdiff \(hidden) pooled \(pooled) image_embeds \(embeds)")
            #expect(hidden <= referenceTolerance)
            #expect(pooled <= referenceTolerance)
            #expect(embeds <= referenceTolerance)
        }
    }

    @Test func textTowerAndEmbeddings() throws {
        let model = try CLIPModel(folder: folder)
        let reference = try DualEncoderReference.load("clip")
        for (i, ids) in reference.ids.enumerated() {
            let pooled = maxAbsDiff(try model.text(ids).pooled.data, try Fixtures.floats("clip/text_pooled_\(i).f32"))
            let embeds = maxAbsDiff(try model.textEmbedding(ids: ids), try Fixtures.floats("clip/text_embeds_\(i).f32"))
            print("clip text \(i) pooled maxdiff \(pooled) text_embeds \(embeds)")
            #expect(pooled <= referenceTolerance)
            #expect(embeds <= referenceTolerance)
        }
    }

    /// Configs with eos_token_id == 2 pool at the argmax of the ids (transformers keeps that for old checkpoints).
    @Test func legacyEOSPoolingAtArgmax() throws {
        let model = try CLIPModel(folder: folder)
        var legacyConfig = model.config.textConfig
        legacyConfig.eosTokenId = 2
        let root = try weightScope(folder)
        let legacy = try CLIPTextTransformer(config: legacyConfig, weights: root.scope("text_model"))
        let reference = try DualEncoderReference.load("clip")
        for (i, ids) in reference.ids.enumerated() {
            let diff = maxAbsDiff(try legacy(ids).pooled.data, try Fixtures.floats("clip/text_pooled_eos2_\(i).f32"))
            print("clip text \(i) eos_token_id=2 pooled maxdiff \(diff)")
            #expect(diff <= referenceTolerance)
        }
        #expect(legacy.poolingPosition([98, 7, 99, 0, 0, 0]) == 2)
        #expect(model.text.poolingPosition([98, 7, 99, 0, 99]) == 2)
        #expect(model.text.poolingPosition([5, 40, 12, 7, 3]) == 0, "no EOS: argmax of all-false picks position 0")
        #expect(legacy.poolingPosition([5, 40, 12, 7, 3]) == 1, "eos_token_id == 2: the largest id")
    }

    @Test func logitsPerImage() throws {
        let model = try CLIPModel(folder: folder)
        let reference = try DualEncoderReference.load("clip")
        #expect(abs(model.logitScale - reference.logitScale) <= 1e-6)
        let images = try reference.stems.map { try model.imageEmbedding(pixelValues: try referencePixels("clip", $0)) }
        let texts = try reference.ids.map { try model.textEmbedding(ids: $0) }
        let logits = images.flatMap { image in texts.map { model.logit(imageEmbedding: image, textEmbedding: $0) } }
        let diff = maxAbsDiff(logits, try Fixtures.floats("clip/logits_per_image.f32"))
        print("clip logits_per_image maxdiff \(diff)")
        #expect(diff <= referenceTolerance)
    }
}
