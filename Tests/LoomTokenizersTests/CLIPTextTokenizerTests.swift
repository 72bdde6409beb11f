import Foundation
import LoomTokenizers
import LoomTestSupport
import Testing

/// CLIP's tokenizer.json pipeline gives transformers' CLIPTokenizerFast ids (Scripts/reference/dump_clip_text.py).
@Suite struct CLIPTextTokenizerTests {
    @Test func idsMatchCLIPTokenizerFast() throws {
        let tokenizer = try #require(try CLIPTextTokenizer.load(tokenizerJSON: Fixtures.url("vision-embed/clip/tokenizer.json")))
        let data = try Data(contentsOf: Fixtures.url("vision-embed/clip_text.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let maxLength = try #require(root["max_length"] as? Int)
        for entry in try #require(root["cases"] as? [[String: Any]]) {
            let text = entry["text"] as! String
            #expect(tokenizer.encode(text) == entry["ids"] as! [Int], "\(text)")
            #expect(tokenizer.encode(text, maxLength: maxLength) == entry["truncated_ids"] as! [Int], "\(text)")
        }
        // Start and end markers typed in the text are the special tokens, not their spelling.
        #expect(tokenizer.encode("<|startoftext|>a photo") == [tokenizer.startID, tokenizer.startID] + Array(tokenizer.encode("a photo").dropFirst()))
    }

    @Test func plainByteLevelFilesAreNotCLIP() throws {
        #expect(try CLIPTextTokenizer.load(tokenizerJSON: Fixtures.url("idefics3/model/tokenizer.json")) == nil)
        #expect(try CLIPTextTokenizer.load(tokenizerJSON: Fixtures.url("idefics3/model/config.json")) == nil)
        #expect(throws: (any Error).self) { try CLIPTextTokenizer.load(tokenizerJSON: Fixtures.url("images/chelsea.jpg")) }
        #expect(throws: (any Error).self) { try CLIPTextTokenizer.load(tokenizerJSON: Fixtures.url("does-not-exist.json")) }
    }
}
