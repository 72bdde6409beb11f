import Foundation
import LoomTestSupport
@testable import LoomTokenizers
import LoomWeights
import Testing

/// Every bad input gets a TokenizerError naming the file and the problem, never a crash.
@Suite struct TokenizerBadInputTests {
    func loadJSON(_ text: String) throws -> Tokenizer {
        try Tokenizer.load(tokenizerJSON: Data(text.utf8), source: "bad/tokenizer.json")
    }

    func expectError(_ kind: TokenizerError.Kind, containing needle: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error containing '\(needle)'")
        } catch let error as TokenizerError {
            #expect(error.kind == kind, "\(error)")
            #expect(error.description.contains(needle), "\(error)")
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    /// A tiny valid tokenizer.json: the 256 byte tokens, one merge.
    static func tinyJSON(merges: String = #"["h i"]"#, model: String = "BPE", preTokenizer: String = #"{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}"#) -> String {
        var vocab: [String] = []
        for (byte, scalar) in ByteLevel.characters.enumerated() {
            let escaped = String(scalar) == "\"" ? "\\\"" : (String(scalar) == "\\" ? "\\\\" : String(scalar))
            vocab.append("\"\(escaped)\": \(byte)")
        }
        vocab.append("\"hi\": 256")
        return """
        {"model": {"type": "\(model)", "vocab": {\(vocab.joined(separator: ","))}, "merges": \(merges)},
         "added_tokens": [{"id": 257, "content": "<|end|>", "special": true}],
         "pre_tokenizer": \(preTokenizer), "decoder": {"type": "ByteLevel"}}
        """
    }

    @Test func tinyTokenizerWorks() throws {
        let tokenizer = try loadJSON(Self.tinyJSON())
        #expect(tokenizer.encode("hi<|end|>") == [256, 257])
        #expect(try tokenizer.decode([256, 257], skipSpecialTokens: true) == "hi")
        // Pair-style merges (tokenizers >= 0.20) read the same.
        let pairs = try loadJSON(Self.tinyJSON(merges: #"[["h", "i"]]"#))
        #expect(pairs.encode("hi") == [256])
        // Canonically equivalent words (U+037E GREEK QUESTION MARK and ";") keep their own bytes,
        // whatever the word cache already holds.
        #expect(tokenizer.encode("\u{37E}") == [0xCD, 0xBE])
        #expect(tokenizer.encode(";") == [0x3B])
        #expect(tokenizer.encode("e\u{301}") == [0x65, 0xCC, 0x81])
        #expect(tokenizer.encode("\u{E9}") == [0xC3, 0xA9])
    }

    @Test func malformedTokenizerJSON() {
        expectError(.unreadable, containing: "not valid JSON") { _ = try loadJSON("{not json") }
        expectError(.malformed, containing: "no \"model\"") { _ = try loadJSON("{}") }
        expectError(.unsupported, containing: "'WordPiece'") { _ = try loadJSON(Self.tinyJSON(model: "WordPiece")) }
        expectError(.malformed, containing: "missing from the vocabulary") { _ = try loadJSON(Self.tinyJSON(merges: #"["hi zz"]"#)) }
        expectError(.malformed, containing: "not two tokens") { _ = try loadJSON(Self.tinyJSON(merges: #"["hix"]"#)) }
        expectError(.unsupported, containing: "Metaspace") {
            _ = try loadJSON(Self.tinyJSON(preTokenizer: #"{"type":"Metaspace"}"#))
        }
        expectError(.unsupported, containing: "regex") {
            _ = try loadJSON(Self.tinyJSON(preTokenizer: #"{"type":"Split","pattern":{"Regex":"\\w+"},"behavior":"Isolated"}"#))
        }
        let farID = Self.tinyJSON().replacingOccurrences(of: #""id": 257"#, with: #""id": 99999999"#)
        expectError(.malformed, containing: "has id 99999999, far beyond") { _ = try loadJSON(farID) }
        let stripping = Self.tinyJSON().replacingOccurrences(of: #""special": true"#, with: #""special": true, "rstrip": true"#)
        expectError(.unsupported, containing: "added token '<|end|>' sets rstrip") { _ = try loadJSON(stripping) }
        expectError(.unreadable, containing: "/no/such/tokenizer.json") {
            _ = try Tokenizer.load(tokenizerJSON: URL(fileURLWithPath: "/no/such/tokenizer.json"))
        }
    }

    @Test func decodeRejectsIDsOutOfRange() throws {
        let tokenizer = try loadJSON(Self.tinyJSON())
        expectError(.idOutOfRange, containing: "token id 258 is outside the vocabulary (0..<258)") {
            _ = try tokenizer.decode([104, 258])
        }
        expectError(.idOutOfRange, containing: "token id -1") { _ = try tokenizer.decode([-1]) }
        var stream = StreamingDecoder(tokenizer: tokenizer)
        expectError(.idOutOfRange, containing: "bad/tokenizer.json") { _ = try stream.append(1_000_000) }
    }

    @Test func ggufMetadataProblems() throws {
        let source = "bad/model.gguf"
        expectError(.malformed, containing: "carries no tokenizer") {
            _ = try Tokenizer.load(ggufMetadata: ["general.architecture": .string("llama")], source: source)
        }
        expectError(.unsupported, containing: "'llama' is not supported") {
            _ = try Tokenizer.load(ggufMetadata: ["tokenizer.ggml.model": .string("llama")], source: source)
        }
        let tokens = GGUFValue.array(ByteLevel.characters.map { .string(String($0)) })
        var metadata: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"), "tokenizer.ggml.tokens": tokens,
            "tokenizer.ggml.merges": .array([]), "tokenizer.ggml.pre": .string("mystery"),
        ]
        expectError(.unsupported, containing: "'mystery'") { _ = try Tokenizer.load(ggufMetadata: metadata, source: source) }
        metadata["tokenizer.ggml.pre"] = .string("gpt2")
        metadata["tokenizer.ggml.eos_token_id"] = .uint32(9999)
        expectError(.malformed, containing: "eos_token_id") { _ = try Tokenizer.load(ggufMetadata: metadata, source: source) }
        metadata["tokenizer.ggml.eos_token_id"] = .uint32(0)
        metadata["tokenizer.ggml.token_type"] = .array([.int32(1)])
        expectError(.malformed, containing: "token_type") { _ = try Tokenizer.load(ggufMetadata: metadata, source: source) }
        metadata["tokenizer.ggml.token_type"] = nil
        metadata.removeValue(forKey: "tokenizer.ggml.merges")
        expectError(.malformed, containing: "merges") { _ = try Tokenizer.load(ggufMetadata: metadata, source: source) }
    }

    @Test func ggufFileWithoutTokenizer() throws {
        // A minimal GGUF v3: no tensors, one metadata key (general.architecture = "llama").
        var bytes = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        u32(3); u64(0); u64(1)
        str("general.architecture"); u32(8); str("llama")
        let folder = try Fixtures.temporaryDirectory("tok-gguf")
        let url = folder.appendingPathComponent("empty.gguf")
        try Data(bytes).write(to: url)
        expectError(.malformed, containing: "empty.gguf: no tokenizer.ggml.model") { _ = try Tokenizer.load(gguf: url) }
        try Data("GGUF".utf8).write(to: url)
        expectError(.unreadable, containing: "empty.gguf") { _ = try Tokenizer.load(gguf: url) }
    }
}
