import Foundation
import LoomTasks
import LoomTestSupport
import Testing

/// A SigLIP folder with spiece.model and no tokenizer.json (as google/siglip-* ship) embeds texts as
/// transformers does: SiglipTokenizer ids through SiglipModel.get_text_features, normalized
/// (Scripts/reference/dump_sentencepiece.py on Tests/Fixtures/siglip/tiny-random).
@Suite struct SiglipSentencePieceTextTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let text_embeds: [Float]?
        }

        struct Model: Decodable { let siglip16: [Case]? }

        let models: [String: Model]
    }

    /// tiny-random's config, weights and preprocessor with the 100-piece spiece.model beside them.
    private func folder(withTokenizerConfig config: String? = nil) throws -> URL {
        let folder = try Fixtures.temporaryDirectory("siglip-spiece")
        for file in ["config.json", "model.safetensors", "preprocessor_config.json"] {
            try FileManager.default.copyItem(at: Fixtures.url("siglip/tiny-random/\(file)"), to: folder.appendingPathComponent(file))
        }
        try FileManager.default.copyItem(at: Fixtures.url("sentencepiece/siglip_tiny.model"), to: folder.appendingPathComponent("spiece.model"))
        if let config { try config.write(to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8) }
        return folder
    }

    @Test func textEmbeddingsMatchTransformers() throws {
        let data = try Data(contentsOf: Fixtures.url("sentencepiece/reference.json"))
        let cases = try #require(try JSONDecoder().decode(Reference.self, from: data).models["siglip_tiny"]?.siglip16)
        let config = #"{"do_lower_case": true, "eos_token": "</s>", "pad_token": "</s>", "unk_token": {"content": "<unk>"}, "model_max_length": 64}"#
        for folder in [try folder(), try folder(withTokenizerConfig: config)] {
            defer { try? FileManager.default.removeItem(at: folder) }
            let task = try DualEncoderTask(folder: folder)
            #expect(task.family == .siglip && task.embedsText)
            var worst: Float = 0
            for entry in cases {
                let expected = try #require(entry.text_embeds)
                let diff = maxAbsDiff(try task.textEmbedding(entry.text), expected)
                worst = max(worst, diff)
                #expect(diff <= 1e-4, "\(entry.text.debugDescription) maxdiff \(diff)")
            }
            print("siglip spiece text_embeds over \(cases.count) texts: maxdiff \(worst) (tolerance 1e-4)")
        }
    }

    @Test func brokenSpieceModelIsReportedForTextsOnly() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([0x0A, 0x05, 0x0A]).write(to: folder.appendingPathComponent("spiece.model"))
        let task = try DualEncoderTask(folder: folder)
        #expect(!task.embedsText)
        #expect {
            try task.textEmbedding("a cat")
        } throws: { error in
            print("error (expected):", error)
            return "\(error)".contains("spiece.model")
        }
    }

    @Test func noTokenizerMentionsSpieceModel() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("spiece.model"))
        let task = try DualEncoderTask(folder: folder)
        #expect {
            try task.textEmbedding("a cat")
        } throws: { error in
            print("error (expected):", error)
            return "\(error)".contains("spiece.model") && "\(error)".contains("tokenizer.json")
        }
    }
}
