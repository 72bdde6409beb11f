import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Ids and decoded text equal to transformers / tokenizers on the same strings (exact match).
@Suite struct TokenizerReferenceTests {
    func check(_ tokenizer: Tokenizer, cases: [TokenizerFixtures.Case], partial: [TokenizerFixtures.Partial],
               addSpecialTokens: Bool, label: String) throws {
        var differFromTransformers = 0
        for item in cases {
            let ids = tokenizer.encode(item.text, addSpecialTokens: addSpecialTokens)
            if ids != item.ids { differFromTransformers += 1 }
            #expect(ids == (item.ids_digits_split ?? item.ids), "\(label) encode \(item.text.debugDescription)")
            #expect(Array(try tokenizer.decode(item.ids).utf8) == Array(item.decoded.utf8), "\(label) decode \(item.text.debugDescription)")
            #expect(Array(try tokenizer.decode(item.ids, skipSpecialTokens: true).utf8) == Array(item.decoded_skip_special.utf8),
                    "\(label) decode skipping specials \(item.text.debugDescription)")
            // Streaming decode of the same ids gives the same text, piece by piece.
            var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecialTokens: false)
            var streamed = ""
            for id in item.ids { streamed += try stream.append(id) }
            streamed += stream.finish()
            #expect(Array(streamed.utf8) == Array(item.decoded.utf8), "\(label) streaming \(item.text.debugDescription)")
        }
        for item in partial {
            #expect(Array(try tokenizer.decode(item.ids).utf8) == Array(item.decoded.utf8), "\(label) partial UTF-8 \(item.ids)")
        }
        let note = cases.first?.ids_digits_split == nil ? ""
            : ", \(differFromTransformers) differ from transformers' GGUF loader (digits isolated as llama.cpp does)"
        print("\(label): \(cases.count) strings equal\(note), \(partial.count) partial decodes equal")
    }

    @Test func smolLMFromGGUFMatchesTransformers() throws {
        guard let tokenizer = try TokenizerFixtures.smolLM() else { return }
        let expected = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM.self)
        #expect(tokenizer.vocabularySize == expected.vocab_size)
        #expect(tokenizer.bosTokenID == expected.bos_token_id && tokenizer.eosTokenID == expected.eos_token_id)
        try check(tokenizer, cases: expected.cases, partial: expected.partial, addSpecialTokens: true, label: "smollm2")
    }

    @Test(arguments: ["whisper-tiny.en", "whisper-base"])
    func whisperTokenizerJSONMatchesTokenizers(name: String) throws {
        guard let tokenizer = try TokenizerFixtures.whisper(name) else { return }
        let expected = try TokenizerFixtures.load("\(name).json", as: TokenizerFixtures.Whisper.self)
        try check(tokenizer, cases: expected.cases, partial: expected.partial, addSpecialTokens: false, label: name)
        for item in expected.with_special_tokens {
            #expect(tokenizer.encode(item.text, addSpecialTokens: true) == item.ids, "\(name) post-processor \(item.text)")
        }
    }

    @Test func streamingHoldsIncompleteCharacters() throws {
        guard let tokenizer = try TokenizerFixtures.whisper("whisper-tiny.en") else { return }
        // "😀" is several byte-level tokens; nothing may come out before the last one.
        let ids = tokenizer.encode("a😀", addSpecialTokens: false)
        try #require(ids.count >= 3)
        var stream = StreamingDecoder(tokenizer: tokenizer)
        var outputs: [String] = []
        for id in ids { outputs.append(try stream.append(id)) }
        #expect(outputs.first == "a")
        #expect(outputs.dropFirst().dropLast().allSatisfy { $0.isEmpty })
        #expect(outputs.last == "😀")
        // An unfinished character left at the end comes out replaced, as decode replaces it.
        var cut = StreamingDecoder(tokenizer: tokenizer)
        for id in ids.dropLast() { _ = try cut.append(id) }
        let expected = try tokenizer.decode(Array(ids.dropFirst().dropLast()))
        #expect(cut.finish() == expected)
    }
}

/// 3000 seeded random pieces (many scripts, numbers, punctuation runs, whitespace variants, special
/// tokens) encoded by each reference tokenizer: ids must be identical, and decode must give the text back.
@Suite struct RandomTextReferenceTests {
    struct RandomText: Decodable {
        let text: String
        let smollm2: [Int]
        let whisperTiny: [Int]
        let whisperBase: [Int]
        enum CodingKeys: String, CodingKey {
            case text, smollm2
            case whisperTiny = "whisper-tiny.en"
            case whisperBase = "whisper-base"
        }
    }

    func firstDifference(_ a: [Int], _ b: [Int]) -> String {
        guard let index = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset ?? (a.count != b.count ? min(a.count, b.count) : nil) else { return "none" }
        return "at \(index): \(Array(a[max(0, index - 3)..<min(a.count, index + 3)])) vs \(Array(b[max(0, index - 3)..<min(b.count, index + 3)]))"
    }

    @Test(arguments: ["smollm2", "whisper-tiny.en", "whisper-base"])
    func randomTextMatchesReference(name: String) throws {
        let fixture = try TokenizerFixtures.load("random_text.json", as: RandomText.self)
        let tokenizer: Tokenizer?
        let expected: [Int]
        switch name {
        case "smollm2": tokenizer = try TokenizerFixtures.smolLM(); expected = fixture.smollm2
        case "whisper-tiny.en": tokenizer = try TokenizerFixtures.whisper(name); expected = fixture.whisperTiny
        default: tokenizer = try TokenizerFixtures.whisper(name); expected = fixture.whisperBase
        }
        guard let tokenizer else { return }
        let ids = tokenizer.encode(fixture.text, addSpecialTokens: false)
        #expect(ids == expected, "\(name): first difference \(firstDifference(ids, expected))")
        // Byte comparison: String == would accept canonically equivalent text.
        #expect(Array(try tokenizer.decode(ids).utf8) == Array(fixture.text.utf8))
        print("\(name): \(fixture.text.unicodeScalars.count) characters of random text, \(ids.count) ids identical to the reference")
    }
}
