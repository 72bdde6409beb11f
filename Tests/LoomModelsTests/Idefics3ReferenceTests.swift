import Foundation
import LoomMedia
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// Golden outputs of Scripts/reference/dump_idefics3.py (transformers 5.24 Idefics3ForConditionalGeneration,
/// tiny seeded model in Tests/Fixtures/idefics3/model).
struct Idefics3Reference: Decodable {
    struct Prompt: Decodable {
        let text: String
        let ids: [Int]
        let greedy: [Int]
        let greedy_text: String
    }
    struct Case: Decodable {
        let caption: Prompt
        let question: Prompt
        let tiles: Int
        let pixel_shape: [Int]
        let pixel_sum: Double
        let pixel_abs_sum: Double
    }
    struct Layout: Decodable {
        let width: Int
        let height: Int
        let tiling: Bool
        let ids: [Int]
    }
    let images: [String]
    let prompts: [String: String]
    let image_seq_len: Int
    let max_new_tokens: Int
    let end_ids: [Int]
    let cases: [String: Case]
    let layouts: [Layout]

    static func load() throws -> Idefics3Reference {
        try JSONDecoder().decode(Idefics3Reference.self, from: Data(contentsOf: Fixtures.url("idefics3/reference.json")))
    }
}

/// Activations (vision states, connector output, logits) agree with transformers to this absolute difference.
let idefics3Tolerance: Float = 1e-4

@Suite("Idefics3 / SmolVLM matches transformers (tiny seeded model)")
struct Idefics3ReferenceTests {
    let folder = Fixtures.url("idefics3/model")

    @Test func configAndProcessorFiles() throws {
        let model = try Idefics3Model(folder: folder)
        let processor = try Idefics3Processor(folder: folder, defaultImageSequenceLength: model.config.imageSequenceLength)
        let reference = try Idefics3Reference.load()
        #expect(model.config.imageSequenceLength == reference.image_seq_len)
        #expect(processor.imageSequenceLength == reference.image_seq_len)
        #expect(processor.endTokenIDs == Set(reference.end_ids))
        #expect(model.config.imageTokenID == processor.tokenizer.id(for: "<image>"))
        let chelsea = try #require(reference.cases["chelsea_tiled"])
        #expect(try processor.chatPrompt(reference.prompts["caption"]!) == chelsea.caption.text)
        #expect(try processor.chatPrompt(reference.prompts["question"]!) == chelsea.question.text)
    }

    /// The text side of the processor: the same ids as Idefics3Processor for many image sizes, tiled or not.
    @Test func tokenLayoutForManyImageSizes() throws {
        let model = try Idefics3Model(folder: folder)
        let processor = try Idefics3Processor(folder: folder, defaultImageSequenceLength: model.config.imageSequenceLength)
        let reference = try Idefics3Reference.load()
        let prompt = try processor.chatPrompt(reference.prompts["caption"]!)
        var checked = 0
        for layout in reference.layouts {
            let plan = (layout.tiling ? processor.imageProcessor : processor.singleTileProcessor).plan(width: layout.width, height: layout.height)
            let text = try processor.expandImages(in: prompt, grids: [(plan.rows, plan.cols)])
            let ids = processor.tokenizer.encode(text, addSpecialTokens: true)
            #expect(ids == layout.ids, "layout \(layout.width)x\(layout.height) tiling \(layout.tiling)")
            checked += 1
        }
        print("idefics3 token layouts identical for \(checked) (size, tiling) pairs")
        #expect(checked >= 20)
    }

    @Test(arguments: ["chelsea_tiled", "chelsea_untiled", "astronaut_tiled", "astronaut_untiled", "hopper_tiled", "hopper_untiled"])
    func imageToLogitsAndGreedyIds(name: String) throws {
        let model = try Idefics3Model(folder: folder)
        let processor = try Idefics3Processor(folder: folder, defaultImageSequenceLength: model.config.imageSequenceLength)
        let reference = try Idefics3Reference.load()
        let expected = try #require(reference.cases[name])
        let stem = String(name.split(separator: "_")[0])
        let imageFile = reference.images.first { $0.hasPrefix(stem + ".") }!
        let image = try ImageDecoder().decode(contentsOf: Fixtures.sample("images/" + imageFile))
        let tiling = name.hasSuffix("_tiled")

        for (key, prompt) in [("caption", expected.caption), ("question", expected.question)] {
            let (ids, pixels) = try processor.inputs(image: image, prompt: try processor.chatPrompt(reference.prompts[key]!), tiling: tiling)
            #expect(ids == prompt.ids, "\(name) \(key) prompt ids")
            #expect(pixels.shape == expected.pixel_shape)
            let images = try model.embeddings(for: pixels)
            if key == "caption" {
                let sum = pixels.data.reduce(0.0) { $0 + Double($1) }
                let absSum = pixels.data.reduce(0.0) { $0 + Double(abs($1)) }
                print("idefics3 \(name) pixel sum \(sum) vs \(expected.pixel_sum), abs sum \(absSum) vs \(expected.pixel_abs_sum)")
                #expect(abs(sum - expected.pixel_sum) <= 1e-3 * max(1, abs(expected.pixel_sum)))
                #expect(abs(absSum - expected.pixel_abs_sum) <= 1e-6 * expected.pixel_abs_sum)
                let vision = try model.visionFeatures(pixelValues: pixels).flatMap(\.data)
                let visionDiff = maxAbsDiff(vision, try Fixtures.floats("idefics3/\(name)_vision.f32"))
                let connectorDiff = maxAbsDiff(images.embeddings.data, try Fixtures.floats("idefics3/\(name)_connector.f32"))
                print("idefics3 \(name) vision maxdiff \(visionDiff) connector maxdiff \(connectorDiff)")
                #expect(visionDiff <= idefics3Tolerance)
                #expect(connectorDiff <= idefics3Tolerance)
            }
            let chunked = try MultimodalPrompt(ids: ids, markers: [model.marker], media: [images])
            let session = model.language.makeSession(maxTokens: ids.count + reference.max_new_tokens)
            let logits = try session.forward(prompt: chunked, allLogits: true)
            let vocab = model.config.textConfig.vocabSize
            let lastThree = Array(logits.data[((ids.count - 3) * vocab)...])
            let logitsDiff = maxAbsDiff(lastThree, try Fixtures.floats("idefics3/\(name)_\(key)_logits.f32"))
            print("idefics3 \(name) \(key) logits maxdiff \(logitsDiff)")
            #expect(logitsDiff <= idefics3Tolerance)

            var next = Array(lastThree[(2 * vocab)...])
            var greedy: [Int] = []
            while greedy.count < reference.max_new_tokens {
                let token = next.indices.max { next[$0] < next[$1] }!
                greedy.append(token)  // transformers keeps the end token in its output
                if processor.endTokenIDs.contains(token) || greedy.count == reference.max_new_tokens { break }
                next = try session.decode(token)
            }
            #expect(greedy == prompt.greedy, "\(name) \(key) greedy ids")
        }
    }
}
