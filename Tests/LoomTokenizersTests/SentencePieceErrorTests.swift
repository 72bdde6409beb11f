import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Bad model files give a SentencePieceError that names the file; nothing crashes.
@Suite struct SentencePieceErrorTests {
    let name = "/models/siglip/spiece.model"

    private func expectError(_ data: Data, _ kinds: [SentencePieceError.Kind], _ label: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SentencePieceTokenizer(data: data, file: name)
            Issue.record("\(label): expected an error", sourceLocation: sourceLocation)
        } catch let error as SentencePieceError {
            #expect(error.description.hasPrefix(name + ": "), "\(label): \(error)", sourceLocation: sourceLocation)
            #expect(kinds.contains(error.kind), "\(label): \(error.kind) \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(label): unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func emptyFile() {
        expectError(Data(), [.truncated], "empty")
    }

    @Test func unsupportedModelTypeAndBadPieces() throws {
        let unknownPiece: [UInt8] = [0x0A, 0x05] + Array("<unk>".utf8) + [0x18, 0x02]
        let pieces = Data([0x0A, UInt8(unknownPiece.count)] + unknownPiece)
        expectError(pieces + Data([0x12, 0x02, 0x18, 0x03, 0x1A, 0x00]), [.unsupported], "a WORD model")
        let badByte: [UInt8] = [0x0A, 0x04] + Array("<0x".utf8) + [0x41, 0x18, 0x06]
        expectError(pieces + Data([0x0A, UInt8(badByte.count)] + badByte + [0x12, 0x00, 0x1A, 0x00]), [.malformed], "a bad byte piece")
        expectError(Data([0x0A, 0x02, 0x18, 0x01, 0x12, 0x00, 0x1A, 0x00]), [.malformed], "no unknown piece")
    }

    @Test func truncatedFiles() throws {
        let whole = try Data(contentsOf: Fixtures.url("sentencepiece/unigram_nfkc.model"))
        for length in [1, 2, 7, 100, whole.count / 3, whole.count / 2, whole.count - 1] {
            expectError(whole.prefix(length), [.truncated, .malformed], "first \(length) of \(whole.count) bytes")
        }
        do {
            _ = try SentencePieceTokenizer(data: whole.prefix(whole.count - 1), file: name)
        } catch {
            print("error (expected):", error)
        }
    }

    /// A file cut exactly between two fields still parses as protobuf; the missing specs give it away.
    @Test func cutBetweenFields() throws {
        let unknownPiece: [UInt8] = [0x0A, 0x05] + Array("<unk>".utf8) + [0x18, 0x02]
        let piecesOnly = Data([0x0A, UInt8(unknownPiece.count)] + unknownPiece)
        expectError(piecesOnly, [.truncated], "pieces without trainer_spec")
        let trainerSpec: [UInt8] = [0x12, 0x02, 0x18, 0x01]  // model_type: UNIGRAM
        expectError(piecesOnly + Data(trainerSpec), [.truncated], "pieces and trainer_spec without normalizer_spec")
        // With an (empty) normalizer_spec it is a complete, if tiny, model.
        let tokenizer = try SentencePieceTokenizer(data: piecesOnly + Data(trainerSpec) + Data([0x1A, 0x00]), file: name)
        #expect(tokenizer.encode("abc") == [0])
        #expect(try tokenizer.decode([0]) == " \u{2047} ")
    }

    @Test func randomAndForeignBytes() throws {
        var generator = SeededBytes(seed: 7)
        for length in [1, 16, 1000, 100_000] {
            expectError(Data((0..<length).map { _ in generator.next() }), [.truncated, .malformed], "\(length) random bytes")
        }
        expectError(try Data(contentsOf: Fixtures.url("sentencepiece/reference.json")), [.truncated, .malformed], "a JSON file")
        expectError(try Data(contentsOf: Fixtures.url("images/chelsea.jpg")), [.truncated, .malformed], "a JPEG")
    }

    @Test func missingFile() {
        #expect {
            try SentencePieceTokenizer.load(model: URL(fileURLWithPath: "/nonexistent/spiece.model"))
        } throws: { error in
            guard let error = error as? SentencePieceError else { return false }
            print("error (expected):", error)
            return error.kind == .unreadable && error.description.contains("/nonexistent/spiece.model")
        }
    }

    @Test func idsOutsideTheVocabulary() throws {
        let tokenizer = try SentencePieceReference.tokenizer("unigram_nfkc")
        for ids in [[-1], [tokenizer.vocabularySize], [5, Int.max]] {
            #expect {
                try tokenizer.decode(ids)
            } throws: { error in
                guard let error = error as? SentencePieceError else { return false }
                return error.kind == .idOutOfRange && error.description.contains("unigram_nfkc.model")
            }
        }
    }
}

/// A deterministic byte stream (SplitMix64) for the random-bytes cases.
struct SeededBytes {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt8 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}
