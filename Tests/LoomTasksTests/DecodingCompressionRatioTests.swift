import Foundation
import LoomTasks
import Testing

/// `ZlibCompressionRatio` against whisper.utils.compression_ratio (Python's zlib.compress, level 6).
@Suite struct DecodingCompressionRatioTests {
    @Test func matchesPythonZlib() throws {
        let zlib = try ZlibCompressionRatio()
        let samples = try #require(DecodingFixtures.json("compression.json")["samples"] as? [[String: Any]])
        #expect(samples.count == 7)
        var worst = 0.0
        for sample in samples {
            let text = sample["text"] as! String
            let expected = sample["ratio"] as! Double
            let measured = zlib.ratio(text)
            worst = max(worst, abs(measured - expected))
            #expect(abs(measured - expected) <= 1e-9, "\(text.prefix(30).debugDescription): \(measured) vs \(expected)")
        }
        print("compression ratio maxdiff", worst, "(tolerance 1e-9)")
        // The fallback threshold's two sides: repetition compresses far better than prose.
        #expect(zlib.ratio("Thank you. " + String(repeating: "Thank you. ", count: 30)) > 2.4)
    }
}
