import Foundation
import LoomTestSupport
import Testing

/// `loom embed --text` on a SigLIP folder that has spiece.model and no tokenizer.json (the layout of
/// google/siglip-* on the hub): the tiny seeded SigLIP with the 100-piece SentencePiece model of
/// Scripts/reference/dump_sentencepiece.py gives transformers' text embeddings (SiglipTokenizer ids, 16 positions).
@Suite struct SiglipSpieceEmbedTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let text_embeds: [Float]?
        }

        struct Model: Decodable { let siglip16: [Case]? }

        let models: [String: Model]
    }

    @Test func embedTextsWithSpieceModel() throws {
        let folder = try Fixtures.temporaryDirectory("loom-siglip-spiece")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in ["config.json", "model.safetensors", "preprocessor_config.json"] {
            try FileManager.default.copyItem(at: Fixtures.url("siglip/tiny-random/\(file)"), to: folder.appendingPathComponent(file))
        }
        try FileManager.default.copyItem(at: Fixtures.url("sentencepiece/siglip_tiny.model"), to: folder.appendingPathComponent("spiece.model"))
        let data = try Data(contentsOf: Fixtures.url("sentencepiece/reference.json"))
        // Non-empty texts (the CLI skips nothing, but an empty --text is not a useful query); the first 12.
        let cases = try #require(try JSONDecoder().decode(Reference.self, from: data).models["siglip_tiny"]?.siglip16)
            .filter { !$0.text.isEmpty }.prefix(12)
        let result = try CLIRunner.run(["embed", "--json", "--model", folder.path] + cases.flatMap { ["--text", $0.text] })
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == cases.count)
        var worst: Float = 0
        for (line, reference) in zip(lines, cases) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["text"] as? String == reference.text)
            let values = try #require(object["embedding"] as? [Double]).map { Float($0) }
            let diff = maxAbsDiff(values, try #require(reference.text_embeds))
            worst = max(worst, diff)
            #expect(diff <= 1e-4, "\(reference.text.debugDescription)")
        }
        print("loom embed --text siglip spiece.model maxdiff \(worst) over \(cases.count) texts (tolerance 1e-4)")
    }
}
