import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Every tokenizer of the module through `TextTokenizing`: the protocol's encode is the concrete type's
/// default call, the vocabulary size and special ids are the concrete ones, and the decoders round-trip.
@Suite struct TextTokenizingTests {
    static let sample = "a photo of a cat"

    /// One conforming tokenizer with what its concrete API gives for `sample`.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let tokenizer: any TextTokenizing
        let concreteIDs: [Int]
        let concreteVocabularySize: Int
        let concreteSpecials: [Int?]
        var testDescription: String { name }
    }

    static func cases() throws -> [Case] {
        let byteLevel = try Tokenizer.load(tokenizerJSON: Fixtures.url("idefics3/model/tokenizer.json"))
        let clip = try #require(try CLIPTextTokenizer.load(tokenizerJSON: Fixtures.url("vision-embed/clip/tokenizer.json")))
        let wordPiece = try WordPieceTokenizer(folder: Fixtures.url("bert/tiny-random"))
        let sentencePiece = try SentencePieceReference.tokenizer("unigram_nfkc")
        let siglip = SiglipTextTokenizer(sentencePiece: try SentencePieceReference.tokenizer("siglip_tiny"))
        let siglipIDs = siglip.tokenIDs(sample) + [siglip.eosID]
        return [
            Case(name: "byte-level BPE", tokenizer: byteLevel, concreteIDs: byteLevel.encode(sample, addSpecialTokens: true),
                 concreteVocabularySize: byteLevel.vocabularySize,
                 concreteSpecials: [byteLevel.bosTokenID, byteLevel.eosTokenID, byteLevel.padTokenID]),
            Case(name: "CLIP BPE", tokenizer: clip, concreteIDs: clip.encode(sample, maxLength: nil),
                 concreteVocabularySize: 612, /* the fixture's vocab, ids 0..<612 */ concreteSpecials: [clip.startID, clip.endID, nil]),
            Case(name: "WordPiece", tokenizer: wordPiece, concreteIDs: wordPiece.encode(sample, maxLength: nil).ids,
                 concreteVocabularySize: wordPiece.vocabulary.ids.count, concreteSpecials: [nil, nil, wordPiece.padID]),
            Case(name: "SentencePiece", tokenizer: sentencePiece, concreteIDs: sentencePiece.encodeAsPieces(sample).map(\.id),
                 concreteVocabularySize: sentencePiece.pieces.count, concreteSpecials: [nil, nil, nil]),
            Case(name: "SigLIP", tokenizer: siglip, concreteIDs: siglip.encode(sample, maxLength: siglipIDs.count),
                 concreteVocabularySize: siglip.sentencePiece.vocabularySize, concreteSpecials: [nil, siglip.eosID, siglip.padID]),
        ]
    }

    @Test(arguments: try cases())
    func protocolAgreesWithConcreteType(_ entry: Case) throws {
        let ids = try entry.tokenizer.encode(Self.sample)
        #expect(ids.count > 2, "\(entry.name) encodes the sample to nothing")
        #expect(ids == entry.concreteIDs)
        #expect(entry.tokenizer.vocabularySize == entry.concreteVocabularySize)
        #expect(ids.allSatisfy { (0..<entry.tokenizer.vocabularySize).contains($0) })
        #expect([entry.tokenizer.bosTokenID, entry.tokenizer.eosTokenID, entry.tokenizer.padTokenID] == entry.concreteSpecials)
        if let decoder = entry.tokenizer as? any TextDecoding {
            #expect(try decoder.decode(ids) == Self.sample)
            #expect(throws: (any Error).self) { try decoder.decode([decoder.vocabularySize]) }
        }
    }

    @Test func theDecodersAreTheOnesThatDecode() throws {
        let decoding = try Self.cases().filter { $0.tokenizer is any TextDecoding }.map(\.name)
        #expect(decoding == ["byte-level BPE", "SentencePiece", "SigLIP"])
    }
}
