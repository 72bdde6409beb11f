import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Ids, pieces and decoded text identical to sentencepiece 0.2.1, and SigLIP ids identical to transformers'
/// SiglipTokenizer, for every fixture string on four tiny models (unigram + nmt_nfkc like SigLIP/T5, unigram
/// with byte fallback and no dummy prefix, BPE with byte fallback, the 100-piece SigLIP-test model).
@Suite struct SentencePieceReferenceTests {
    @Test(arguments: SentencePieceReference.modelNames)
    func idsPiecesAndDecodingMatchSentencePiece(_ name: String) throws {
        let reference = try #require(try SentencePieceReference.load().models[name])
        let tokenizer = try SentencePieceReference.tokenizer(name)
        #expect(tokenizer.vocabularySize == reference.vocab_size)
        #expect(tokenizer.algorithm == (name.hasPrefix("bpe") ? .bpe : .unigram))
        var mismatches = 0
        for entry in reference.sentencepiece {
            let pieces = tokenizer.encodeAsPieces(entry.text)
            let ids = tokenizer.encode(entry.text)
            if ids != entry.ids { mismatches += 1 }
            #expect(ids == entry.ids, "\(name) ids of \(entry.text.debugDescription)")
            #expect(pieces.map(\.piece) == entry.pieces, "\(name) pieces of \(entry.text.debugDescription)")
            #expect(try tokenizer.decode(entry.ids) == entry.decoded, "\(name) decode of \(entry.text.debugDescription)")
        }
        print("sentencepiece \(name): \(reference.sentencepiece.count) strings, \(mismatches) id mismatches")
        for entry in reference.decode {
            #expect(try tokenizer.decode(entry.ids) == entry.decoded, "\(name) decode of \(entry.ids)")
        }
    }

    @Test(arguments: SentencePieceReference.modelNames)
    func siglipIDsMatchSiglipTokenizer(_ name: String) throws {
        let reference = try #require(try SentencePieceReference.load().models[name])
        let tokenizer = SiglipTextTokenizer(sentencePiece: try SentencePieceReference.tokenizer(name))
        for entry in reference.siglip {
            #expect(tokenizer.encode(entry.text, maxLength: reference.siglip_max_length) == entry.ids,
                    "\(name) SiglipTokenizer ids of \(entry.text.debugDescription)")
        }
        for entry in reference.siglip16 ?? [] {
            #expect(tokenizer.encode(entry.text, maxLength: 16) == entry.ids, "\(name) 16-long ids of \(entry.text.debugDescription)")
        }
        print("siglip \(name): \(reference.siglip.count) strings compared")
    }

    /// big_vision's canonicalization (Python lower() with final sigma, string.punctuation, \\s runs, strip).
    @Test func canonicalizationMatchesSiglipTokenizer() throws {
        let reference = try SentencePieceReference.load()
        let tokenizer = SiglipTextTokenizer(sentencePiece: try SentencePieceReference.tokenizer("unigram_nfkc"))
        for (text, canonical) in zip(reference.strings, reference.canonical) {
            #expect(tokenizer.canonicalize(text) == canonical, "\(text.debugDescription)")
        }
    }

    /// Text without unknown characters comes back from its ids (modulo what the normalizer changes).
    @Test func decodeRoundTrip() throws {
        let bytes = try SentencePieceReference.tokenizer("unigram_bytes")
        for text in ["a photo of a cat", "  spaces  kept  ", "emoji 😀 and ☃ via bytes", "tab\tnewline\n", "日本語"] {
            #expect(try bytes.decode(bytes.encode(text)) == text, "\(text.debugDescription)")
        }
        let nfkc = try SentencePieceReference.tokenizer("unigram_nfkc")
        #expect(try nfkc.decode(nfkc.encode("  The   quick brown fox  ")) == "The quick brown fox")
        #expect(try nfkc.decode(nfkc.encode("Ｆｕｌｌ ＡＢＣ")) == "Full ABC")
    }

    @Test func pieceLookups() throws {
        let tokenizer = try SentencePieceReference.tokenizer("unigram_nfkc")
        #expect(tokenizer.id(forPiece: "</s>") == 1)
        #expect(tokenizer.id(forPiece: "<unk>") == tokenizer.unknownID)
        #expect(tokenizer.id(forPiece: "no such piece") == tokenizer.unknownID)
        #expect(!tokenizer.contains(piece: "no such piece"))
        #expect(tokenizer.pieces[1] == "</s>")
    }
}
