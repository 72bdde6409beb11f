import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// Bad folders and bad inputs for Idefics3 / SmolVLM: each is a clear error naming the file or input, never a crash.
@Suite("Idefics3 errors")
struct Idefics3ErrorTests {
    let fixture = Fixtures.url("idefics3/model")

    /// A copy of the fixture folder with config.json edited by `edit` and the files in `dropping` removed.
    func folder(editing edit: (inout [String: Any]) -> Void = { _ in }, dropping: [String] = []) throws -> URL {
        let folder = try Fixtures.temporaryDirectory("idefics3-bad").appendingPathComponent("model")
        try FileManager.default.copyItem(at: fixture, to: folder)
        let configURL = folder.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        for name in dropping { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        return folder
    }

    @Test func configProblemsNameTheFileAndField() throws {
        let missing = try folder(dropping: ["config.json"])
        #expect(throws: ModelRegistryError.missingFile(
            path: missing.appendingPathComponent("config.json").path, what: "the Hugging Face config.json beside its safetensors weights")) {
            try Idefics3Model(folder: missing)
        }
        let clip = Fixtures.url("clip/tiny-random")
        do {
            _ = try Idefics3Model(folder: clip)
            Issue.record("a CLIP folder loaded as Idefics3")
        } catch let error as ModelRegistryError {
            #expect("\(error)".contains("clip/tiny-random/config.json") && "\(error)".contains("idefics3"))
        }
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("scale_factor", { $0["scale_factor"] = 3 }),
            ("image_token_id", { $0["image_token_id"] = 100_000 }),
            ("scale_factor", { $0["scale_factor"] = "two" }),
            ("vision_config.image_size", { $0["vision_config"] = ["image_size": 60, "patch_size": 8] }),
            ("text_config.model_type", { $0["text_config"] = ["model_type": "mistral"] }),
            ("text_config", { var t = $0["text_config"] as! [String: Any]; t["num_key_value_heads"] = 3; $0["text_config"] = t }),
        ]
        for (field, edit) in cases {
            let bad = try folder(editing: edit)
            do {
                _ = try Idefics3Model(folder: bad)
                Issue.record("config with a bad \(field) loaded")
            } catch let error as EncoderError {
                guard case let .invalidConfig(file, badField, _) = error else { Issue.record("\(error)"); continue }
                #expect(file.hasSuffix("model/config.json"))
                #expect(badField == field, "\(error)")
            }
        }
    }

    @Test func weightsThatDoNotFitTheConfig() throws {
        let moreLayers = try folder { config in
            var text = config["text_config"] as! [String: Any]
            text["num_hidden_layers"] = 3
            config["text_config"] = text
        }
        do {
            _ = try Idefics3Model(folder: moreLayers)
            Issue.record("a missing text layer went unnoticed")
        } catch let error as WeightFileError {
            #expect("\(error)".contains("model.text_model.layers.2"))
        }
        let widerVision = try folder { config in
            var vision = config["vision_config"] as! [String: Any]
            vision["hidden_size"] = 48
            config["vision_config"] = vision
        }
        #expect(throws: WeightFileError.self) { try Idefics3Model(folder: widerVision) }
        let noWeights = try folder(dropping: ["model.safetensors"])
        let error = try #require(throws: ModelRegistryError.self) { try Idefics3Model(folder: noWeights) }
        #expect(error.description.contains(noWeights.appendingPathComponent("model.safetensors").path))
    }

    @Test func processorFiles() throws {
        for (file, mention) in [("tokenizer.json", "tokenizer.json"), ("preprocessor_config.json", "preprocessor_config.json")] {
            let bad = try folder(dropping: [file])
            do {
                _ = try Idefics3Processor(folder: bad, defaultImageSequenceLength: 16)
                Issue.record("processor loaded without \(file)")
            } catch {
                #expect("\(error)".contains(mention), "\(error)")
            }
        }
        let badSequence = try folder()
        try Data(#"{"image_seq_len": 0}"#.utf8).write(to: badSequence.appendingPathComponent("processor_config.json"))
        #expect(throws: EncoderError.self) { try Idefics3Processor(folder: badSequence, defaultImageSequenceLength: 16) }
        // Without processor_config.json the model's own count is used.
        let noProcessorConfig = try folder(dropping: ["processor_config.json"])
        #expect(try Idefics3Processor(folder: noProcessorConfig, defaultImageSequenceLength: 16).imageSequenceLength == 16)
    }

    @Test func inputsThatDoNotFit() throws {
        let model = try Idefics3Model(folder: fixture)
        let processor = try Idefics3Processor(folder: fixture, defaultImageSequenceLength: model.config.imageSequenceLength)
        #expect(throws: EncoderError.self) { try model.visionFeatures(pixelValues: Tensor(zeros: [1, 3, 32, 32])) }
        #expect(throws: EncoderError.self) { try model.visionFeatures(pixelValues: Tensor(zeros: [3, 64, 64])) }
        let prompt = try processor.chatPrompt("Describe this image.")
        let text = try processor.expandImages(in: prompt, grids: [(0, 0)])
        let ids = processor.tokenizer.encode(text)
        // One tile's worth of features is 16 rows; 15 or the wrong width are refused.
        func chunked(_ ids: [Int], rows: Int, width: Int) throws -> MultimodalPrompt {
            try MultimodalPrompt(ids: ids, markers: [model.marker], media: [MediaEmbeddings(kind: .image, embeddings: Tensor(zeros: [rows, width]))])
        }
        let session = model.language.makeSession()
        #expect(throws: MultimodalPromptError.self) { try chunked(ids, rows: 15, width: 64) }
        #expect(throws: LlamaInputError.self) { try session.forward(prompt: chunked(ids, rows: 16, width: 32)) }
        #expect(throws: LlamaInputError.self) { try session.forward(prompt: chunked(ids + [100_000], rows: 16, width: 64)) }
        #expect(session.position == 0)
        #expect(throws: LlamaInputError.self) { try processor.expandImages(in: prompt, grids: []) }
        #expect(throws: LlamaInputError.self) { try processor.expandImages(in: prompt + "<image>", grids: [(0, 0)]) }
    }

    /// The pixel shuffle on a grid whose values name their patch: token (i, j) gathers patches
    /// (2i + r, 2j + c) for r, c in 0..<2, row offset outer (Idefics3Connector.pixel_shuffle).
    @Test func pixelShuffleOrder() {
        let side = 4, d = 1
        let states = Tensor(shape: [side * side, d], data: (0..<(side * side)).map(Float.init))
        let shuffled = Idefics3Connector.pixelShuffle(states, scaleFactor: 2)
        #expect(shuffled.shape == [4, 4])
        #expect(shuffled.data == [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15])
    }
}
