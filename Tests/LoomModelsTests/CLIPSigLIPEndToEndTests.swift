import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// Sample photo -> LoomMedia.ImageDecoder -> the folder's image processor -> model, against the
/// reference's PIL-backend processor + model on the same files.
///
/// PNG decodes exactly as Pillow, so astronaut.png must match within 1e-4. JPEG goes through
/// libjpeg-turbo on both sides but versions may round a few pixels differently (<= 2 levels, see
/// LoomMediaTests' ImageReferenceTests), so chelsea.jpg gets 1e-2 on pixel values and embeddings;
/// the measured differences are printed.
@Suite("CLIP and SigLIP end to end on sample photos")
struct CLIPSigLIPEndToEndTests {
    static let cases: [(family: String, file: String)] = [
        ("clip", "astronaut.png"), ("clip", "chelsea.jpg"), ("siglip", "astronaut.png"), ("siglip", "chelsea.jpg"),
    ]

    @Test(arguments: 0..<4)
    func photoToEmbedding(_ index: Int) throws {
        let (family, file) = Self.cases[index]
        let folder = Fixtures.url("\(family)/tiny-random")
        let image = try ImageDecoder().decode(contentsOf: Fixtures.sample("images/\(file)"))
        let stem = (file as NSString).deletingPathExtension
        let embedding: [Float], pixels: Tensor
        if family == "clip" {
            let model = try CLIPModel(folder: folder)
            pixels = try #require(model.imageProcessor).process(image).pixelValues
            embedding = try model.imageEmbedding(pixelValues: pixels)
        } else {
            let model = try SigLIPModel(folder: folder)
            pixels = try #require(model.imageProcessor).process(image).pixelValues
            embedding = try model.imageEmbedding(pixelValues: pixels)
        }
        #expect(pixels.shape == [1, 3, 32, 32])
        let pixelDiff = maxAbsDiff(pixels.data, try Fixtures.floats("\(family)/pixel_values_\(stem).f32"))
        let embedDiff = maxAbsDiff(embedding, try Fixtures.floats("\(family)/image_embeds_\(stem).f32"))
        print("\(family) \(file) end to end: pixel_values maxdiff \(pixelDiff) image_embeds maxdiff \(embedDiff)")
        let tolerance: Float = file.hasSuffix(".png") ? 1e-4 : 1e-2
        #expect(pixelDiff <= tolerance)
        #expect(embedDiff <= tolerance)
        var norm: Float = 0
        for x in embedding { norm += x * x }
        #expect(abs(norm - 1) <= 1e-5, "embeddings are L2-normalized")
    }
}
