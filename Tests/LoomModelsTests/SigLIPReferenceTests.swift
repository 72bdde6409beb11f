import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

@Suite("SigLIP matches transformers' SiglipModel (tiny seeded model)")
struct SigLIPReferenceTests {
    let folder = Fixtures.url("siglip/tiny-random")

    @Test func visionTowerHeadAndImageEmbeddings() throws {
        let model = try SigLIPModel(folder: folder)
        let reference = try DualEncoderReference.load("siglip")
        for stem in reference.stems {
            let output = try model.vision(try referencePixels("siglip", stem))
            #expect(output.lastHiddenState.shape == [16, 32])
            let hidden = maxAbsDiff(output.lastHiddenState.data, try Fixtures.floats("siglip/vision_last_hidden_state_\(stem).f32"))
            let pooled = maxAbsDiff(output.pooled!.data, try Fixtures.floats("siglip/vision_pooled_\(stem).f32"))
            let embeds = maxAbsDiff(
                try model.imageEmbedding(pixelValues: try referencePixels("siglip", stem)),
                try Fixtures.floats("siglip/image_embeds_\(stem).f32"))
            print("siglip \(stem) last_hidden_state maxdiff \(hidden) pooled \(pooled) image_embeds \(embeds)")
            #expect(hidden <= referenceTolerance)
            #expect(pooled <= referenceTolerance)
            #expect(embeds <= referenceTolerance)
        }
    }

    /// The Idefics3 connector's entry: the tower without the MAP head gives the same patch states.
    @Test func towerWithoutHeadForIdefics3() throws {
        let root = try weightScope(folder)
        let model = try SigLIPModel(folder: folder)
        let headless = try SigLIPVisionTransformer(config: model.config.visionConfig, weights: root.scope("vision_model"), useHead: false)
        #expect(headless.head == nil)
        let output = try headless(try referencePixels("siglip", "chelsea"))
        #expect(output.pooled == nil)
        let diff = maxAbsDiff(output.lastHiddenState.data, try Fixtures.floats("siglip/vision_last_hidden_state_chelsea.f32"))
        print("siglip headless last_hidden_state maxdiff \(diff)")
        #expect(diff <= referenceTolerance)
        #expect(root.unusedTensorNames.contains("vision_model.head.probe"), "the head's tensors are left for the caller to ignore")
    }

    @Test func textTowerAndEmbeddings() throws {
        let model = try SigLIPModel(folder: folder)
        let reference = try DualEncoderReference.load("siglip")
        for (i, ids) in reference.ids.enumerated() {
            let pooled = maxAbsDiff(try model.text(ids).pooled.data, try Fixtures.floats("siglip/text_pooled_\(i).f32"))
            let embeds = maxAbsDiff(try model.textEmbedding(ids: ids), try Fixtures.floats("siglip/text_embeds_\(i).f32"))
            print("siglip text \(i) pooled maxdiff \(pooled) text_embeds \(embeds)")
            #expect(pooled <= referenceTolerance)
            #expect(embeds <= referenceTolerance)
        }
    }

    @Test func sigmoidLogitsPerImage() throws {
        let model = try SigLIPModel(folder: folder)
        let reference = try DualEncoderReference.load("siglip")
        #expect(abs(model.logitScale - reference.logitScale) <= 1e-6)
        #expect(abs(model.logitBias - (reference.logitBias ?? .nan)) <= 1e-6)
        let images = try reference.stems.map { try model.imageEmbedding(pixelValues: try referencePixels("siglip", $0)) }
        let texts = try reference.ids.map { try model.textEmbedding(ids: $0) }
        let logits = images.flatMap { image in texts.map { model.logit(imageEmbedding: image, textEmbedding: $0) } }
        let diff = maxAbsDiff(logits, try Fixtures.floats("siglip/logits_per_image.f32"))
        print("siglip logits_per_image maxdiff \(diff)")
        #expect(diff <= referenceTolerance)
        let p = model.probability(imageEmbedding: images[0], textEmbedding: texts[0])
        #expect(abs(p - 1 / (1 + expf(-logits[0]))) <= 1e-6)
    }
}

/// The root weight scope of a fixture folder's model.safetensors.
func weightScope(_ folder: URL) throws -> WeightScope {
    WeightScope(try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors")))
}
