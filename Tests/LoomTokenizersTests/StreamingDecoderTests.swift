import Foundation
import LoomTestSupport
@testable import LoomTokenizers
import Testing

/// Byte-level decoding of any bytes equals Python's errors='replace' (Rust's from_utf8_lossy), and
/// streaming the same ids one at a time gives the same text without emitting half characters.
@Suite struct StreamingDecoderTests {
    struct Lossy: Decodable {
        struct Case: Decodable {
            let bytes: [UInt8]
            let decoded: String
        }
        let cases: [Case]
    }

    /// A tokenizer whose ids 0..<256 are the single bytes.
    func byteTokenizer() throws -> Tokenizer {
        try Tokenizer.load(tokenizerJSON: Data(TokenizerBadInputTests.tinyJSON().utf8), source: "tiny/tokenizer.json")
    }

    @Test func lossyDecodingAndStreamingMatchPython() throws {
        let tokenizer = try byteTokenizer()
        let fixture = try TokenizerFixtures.load("lossy.json", as: Lossy.self)
        var emittedHalfCharacters = 0
        for item in fixture.cases {
            let ids = item.bytes.map(Int.init)
            #expect(Array(try tokenizer.decode(ids).utf8) == Array(item.decoded.utf8), "bytes \(item.bytes)")
            var stream = StreamingDecoder(tokenizer: tokenizer)
            var streamed = ""
            for id in ids {
                let piece = try stream.append(id)
                // A piece ending in U+FFFD may only do so if the whole decode has one there too.
                if piece.unicodeScalars.last == "\u{FFFD}" && !item.decoded.contains("\u{FFFD}") { emittedHalfCharacters += 1 }
                streamed += piece
            }
            streamed += stream.finish()
            #expect(Array(streamed.utf8) == Array(item.decoded.utf8), "streamed bytes \(item.bytes)")
        }
        #expect(emittedHalfCharacters == 0)
        print("lossy UTF-8: \(fixture.cases.count) byte strings decode and stream equal to Python")
    }

    @Test func completePrefixHoldsOnlyValidUnfinishedSequences() {
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xF0, 0x9F, 0x98]) == 1)  // 😀 missing its last byte
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xE4]) == 1)
        #expect(StreamingDecoder.completePrefixLength([0xE0, 0x80]) == 2)  // never valid: not held
        #expect(StreamingDecoder.completePrefixLength([0xED, 0xA0]) == 2)  // surrogate: not held
        #expect(StreamingDecoder.completePrefixLength([0xF0, 0x9F, 0x98, 0x80]) == 4)
        #expect(StreamingDecoder.completePrefixLength([0x80, 0x80, 0x80, 0x80, 0x80]) == 5)
        #expect(StreamingDecoder.completePrefixLength([]) == 0)
    }
}
