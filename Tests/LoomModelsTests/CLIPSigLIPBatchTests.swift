import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// Batched encoding (all images' tokens through each weight product at once) gives the reference's
/// per-image results: tolerance 1e-4 against transformers, as single images.
@Suite("CLIP and SigLIP batched image encoding")
struct CLIPSigLIPBatchTests {
    @Test func clipBatchMatchesReference() throws {
        let model = try CLIPModel(folder: Fixtures.url("clip/tiny-random"))
        let stems = try DualEncoderReference.load("clip").stems
        let images = try stems.map { try referencePixels("clip", $0) }
        let outputs = try model.vision(batch: images + [images[0]])
        let embeddings = try model.imageEmbeddings(pixelValues: images)
        for (i, stem) in stems.enumerated() {
            let hidden = maxAbsDiff(outputs[i].lastHiddenState.data, try Fixtures.floats("clip/vision_last_hidden_state_\(stem).f32"))
            let embeds = maxAbsDiff(embeddings[i], try Fixtures.floats("clip/image_embeds_\(stem).f32"))
            print("clip batch \(stem) last_hidden_state maxdiff \(hidden) image_embeds \(embeds)")
            #expect(hidden <= referenceTolerance && embeds <= referenceTolerance)
        }
        // The same image at another batch position: GEMM blocking may round differently, no more.
        let repeated = maxAbsDiff(outputs[2].lastHiddenState.data, outputs[0].lastHiddenState.data)
        print("clip batch same image at two positions maxdiff \(repeated)")
        #expect(repeated <= 1e-5)
        #expect(try model.imageEmbeddings(pixelValues: []).isEmpty)
    }

    @Test func siglipBatchMatchesReference() throws {
        let model = try SigLIPModel(folder: Fixtures.url("siglip/tiny-random"))
        let stems = try DualEncoderReference.load("siglip").stems
        let images = try stems.map { try referencePixels("siglip", $0) }
        let encoded = try model.vision.encode(batch: images)
        let embeddings = try model.imageEmbeddings(pixelValues: images)
        for (i, stem) in stems.enumerated() {
            let hidden = maxAbsDiff(encoded[i].data, try Fixtures.floats("siglip/vision_last_hidden_state_\(stem).f32"))
            let embeds = maxAbsDiff(embeddings[i], try Fixtures.floats("siglip/image_embeds_\(stem).f32"))
            print("siglip batch \(stem) last_hidden_state maxdiff \(hidden) image_embeds \(embeds)")
            #expect(hidden <= referenceTolerance && embeds <= referenceTolerance)
        }
        #expect(throws: EncoderError.wrongImageShape(got: [3, 8, 8], expected: [3, 32, 32])) {
            try model.imageEmbeddings(pixelValues: [images[0], Tensor(zeros: [3, 8, 8])])
        }
    }
}
