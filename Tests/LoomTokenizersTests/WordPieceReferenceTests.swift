import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Token ids of Hugging Face `tokenizers` (fast BertTokenizer), dumped by Scripts/reference/dump_bert.py.
struct WordPieceReferenceCase: Decodable {
    let text: String
    let ids: [Int]
}

struct WordPieceReferenceFile: Decodable {
    let max_length: Int
    let cases: [WordPieceReferenceCase]
}

@Suite struct WordPieceReferenceTests {
    @Test func realMiniLMTokenizerMatchesHuggingFace() throws {
        guard let file = InstalledModels.file("minilm-l6-v2", "tokenizer.json") else { return }
        let tokenizer = try WordPieceTokenizer(folder: file.deletingLastPathComponent())
        let reference = try JSONDecoder().decode(
            WordPieceReferenceFile.self, from: Data(contentsOf: Fixtures.url("bert/tokenizer.json")))
        #expect(tokenizer.maxLength == reference.max_length)  // sentence_bert_config.json, not tokenizer.json's 128
        var mismatches = 0
        for c in reference.cases {
            let ids = tokenizer.encode(c.text).ids
            if ids != c.ids {
                mismatches += 1
                Issue.record("ids differ for \(c.text.debugDescription):\n loom \(ids)\n hf   \(c.ids)")
            }
        }
        print("wordpiece: \(reference.cases.count) strings, \(mismatches) mismatches")
        #expect(reference.cases.contains { $0.ids.count == reference.max_length })  // truncation is exercised
    }

    @Test func tinyTokenizerMatchesHuggingFace() throws {
        let folder = Fixtures.url("bert/tiny-random")
        let tokenizer = try WordPieceTokenizer(folder: folder)
        #expect(tokenizer.maxLength == 24)
        struct Tiny: Decodable { let cases: [WordPieceReferenceCase] }
        let reference = try JSONDecoder().decode(Tiny.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        for c in reference.cases {
            #expect(tokenizer.encode(c.text).ids == c.ids, "\(c.text)")
        }
    }

    @Test func batchPadsWithMaskAndTypeIDs() throws {
        let tokenizer = try WordPieceTokenizer(folder: Fixtures.url("bert/tiny-random"))
        let batch = tokenizer.encodeBatch(["a man", "the horse is eating food.", ""])
        #expect(batch.rows == 3)
        #expect(batch.length == 9)
        #expect(Array(batch.ids[0..<9]) == [2, 6, 7, 3, 0, 0, 0, 0, 0])
        #expect(Array(batch.attentionMask[0..<9]) == [1, 1, 1, 1, 0, 0, 0, 0, 0])
        #expect(Array(batch.ids[18..<27]) == [2, 3, 0, 0, 0, 0, 0, 0, 0])
        #expect(batch.attentionMask.reduce(0, +) == 15)
        #expect(batch.typeIDs.allSatisfy { $0 == 0 })
        #expect(tokenizer.encodeBatch([]).rows == 0)
    }

    @Test func truncationKeepsSpecialTokens() throws {
        let tokenizer = try WordPieceTokenizer(folder: Fixtures.url("bert/tiny-random"))
        #expect(tokenizer.specialTokenCount == 2)
        #expect(tokenizer.encode("a man is eating", maxLength: 4).ids == [2, 6, 7, 3])
        // A limit below the special tokens keeps them and drops the whole text, as tokenizers does.
        #expect(tokenizer.encode("a man", maxLength: 1).ids == [2, 3])
        #expect(tokenizer.tokenize("cafe eating") == [19, 9, 10])
        #expect(tokenizer.id(of: "[SEP]") == 3)
        #expect(tokenizer.id(of: "horse") == 12)
        #expect(tokenizer.id(of: "zebra") == nil)
    }

    @Test func normalizerFollowsBertRules() {
        let normalizer = WordPieceNormalizer()
        func run(_ s: String) -> String { String(String.UnicodeScalarView(normalizer.normalize(Array(s.unicodeScalars)))) }
        #expect(run("Crème\tBRÛLÉE\u{0}") == "creme brulee")
        #expect(run("北京x") == " 北  京 x")
        #expect(WordPieceNormalizer(stripAccents: false).normalize(Array("É".unicodeScalars)) == Array("é".unicodeScalars))
        #expect(WordPieceNormalizer(lowercase: false).normalize(Array("É".unicodeScalars)) == Array("É".unicodeScalars))
    }
}
