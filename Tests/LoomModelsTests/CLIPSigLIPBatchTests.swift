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

    /// A batch with more rows than one pass covers (TransformerEncoder.maximumRowsPerPass) runs in
    /// several passes of whole images: every image still matches the reference and its own
    /// single-image encoding.
    @Test func batchesLargerThanOnePassAreSplitByImage() throws {
        let model = try SigLIPModel(folder: Fixtures.url("siglip/tiny-random"))
        let stems = try DualEncoderReference.load("siglip").stems
        let images = try stems.map { try referencePixels("siglip", $0) }
        let tokens = try model.vision.encode(images[0]).shape[0]
        let count = TransformerEncoder.maximumRowsPerPass / tokens * 2 + 1  // two full passes and one image
        let batch = (0..<count).map { images[$0 % images.count] }
        let encoded = try model.vision.encode(batch: batch)
        #expect(encoded.count == count)
        var worst: Float = 0
        for (i, image) in batch.enumerated() {
            let single = try model.vision.encode(image)
            worst = max(worst, maxAbsDiff(encoded[i].data, single.data))
            let reference = try Fixtures.floats("siglip/vision_last_hidden_state_\(stems[i % stems.count]).f32")
            #expect(maxAbsDiff(encoded[i].data, reference) <= referenceTolerance, "image \(i)")
        }
        print("siglip \(count) images x \(tokens) tokens in passes of \(TransformerEncoder.maximumRowsPerPass) rows: max diff to single-image encoding \(worst)")
        #expect(worst <= 1e-5)
    }
}
