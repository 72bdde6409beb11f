import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Unreadable, malformed or unsupported tokenizer files give an error naming the file.
@Suite struct WordPieceErrorTests {
    /// The tiny fixture tokenizer.json as a mutable JSON object.
    private func tinyJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("bert/tiny-random/tokenizer.json"))
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func expectError(_ data: Data, _ kind: (WordPieceTokenizerError.Kind) -> Bool,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try WordPieceTokenizer(data: data, file: "/models/x/tokenizer.json")
            Issue.record("expected an error", sourceLocation: sourceLocation)
        } catch let error as WordPieceTokenizerError {
            print("error (expected):", error)
            #expect(error.description.contains("/models/x/tokenizer.json"), sourceLocation: sourceLocation)
            #expect(kind(error.kind), "\(error.kind)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    private func edited(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var json = try tinyJSON()
        edit(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    private func isMalformed(_ kind: WordPieceTokenizerError.Kind) -> Bool {
        if case .malformed = kind { return true }
        return false
    }

    private func isUnsupported(_ kind: WordPieceTokenizerError.Kind) -> Bool {
        if case .unsupported = kind { return true }
        return false
    }

    @Test func missingFileNamesIt() throws {
        let url = URL(fileURLWithPath: "/nonexistent/loom/tokenizer.json")
        #expect(throws: WordPieceTokenizerError.self) { try WordPieceTokenizer(contentsOf: url) }
        do { _ = try WordPieceTokenizer(contentsOf: url) } catch { #expect("\(error)".contains(url.path)) }
    }

    @Test func notJSON() {
        expectError(Data("{\"model\": ".utf8), isMalformed)
        expectError(Data("[1, 2]".utf8), isMalformed)
        expectError(Data([0xFF, 0xFE, 0x00]), isMalformed)
    }

    @Test func wrongModelType() throws {
        expectError(try edited { j in
            var model = j["model"] as! [String: Any]
            model["type"] = "BPE"
            j["model"] = model
        }, isUnsupported)
        expectError(try edited { j in j["model"] = nil }, isMalformed)
    }

    @Test func badVocabulary() throws {
        expectError(try edited { j in
            var model = j["model"] as! [String: Any]
            model["vocab"] = ["a": "one"]
            j["model"] = model
        }, isMalformed)
        expectError(try edited { j in
            var model = j["model"] as! [String: Any]
            model["vocab"] = ["a": 0, "b": 1.5]
            j["model"] = model
        }, isMalformed)
        expectError(try edited { j in  // no [UNK] in the vocabulary
            var model = j["model"] as! [String: Any]
            model["vocab"] = ["a": 0, "b": 1]
            j["model"] = model
        }, isMalformed)
    }

    @Test func unsupportedComponents() throws {
        expectError(try edited { j in j["normalizer"] = ["type": "NFKC"] }, isUnsupported)
        expectError(try edited { j in j["pre_tokenizer"] = ["type": "ByteLevel"] }, isUnsupported)
        expectError(try edited { j in j["post_processor"] = ["type": "RobertaProcessing"] }, isUnsupported)
        expectError(try edited { j in j["post_processor"] = ["type": "TemplateProcessing", "single": "x"] }, isMalformed)
        expectError(try edited { j in
            j["post_processor"] = ["type": "TemplateProcessing", "single": [["SpecialToken": ["id": "<nope>", "type_id": 0]]]]
        }, isMalformed)
    }

    @Test func optionalPartsMayBeAbsent() throws {
        // No normalizer and no post-processor: case is kept and no special tokens are added.
        let tokenizer = try WordPieceTokenizer(data: try edited { j in
            j["normalizer"] = NSNull()
            j["post_processor"] = NSNull()
        }, file: "t.json")
        #expect(tokenizer.encode("man MAN").ids == [7, 1])
        // BertProcessing, as older exports write it.
        let bert = try WordPieceTokenizer(data: try edited { j in
            j["post_processor"] = ["type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]]
        }, file: "t.json")
        #expect(bert.encode("man").ids == [2, 7, 3])
    }

    @Test func malformedSentenceConfigNamesIt() throws {
        let folder = try Fixtures.temporaryDirectory("wordpiece")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: Fixtures.url("bert/tiny-random/tokenizer.json"), to: folder.appendingPathComponent("tokenizer.json"))
        let config = folder.appendingPathComponent("sentence_bert_config.json")
        try Data("{\"max_seq_length\": \"long\"}".utf8).write(to: config)
        do {
            _ = try WordPieceTokenizer(folder: folder)
            Issue.record("expected an error")
        } catch {
            print("error (expected):", error)
            #expect("\(error)".contains(config.path))
        }
        try Data("not json".utf8).write(to: config)
        #expect(throws: WordPieceTokenizerError.self) { try WordPieceTokenizer(folder: folder) }
    }
}
