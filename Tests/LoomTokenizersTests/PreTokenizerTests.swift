import Foundation
import LoomTestSupport
@testable import LoomTokenizers
import Testing

/// The hand scanners cut text exactly where tokenizers' Oniguruma regexes cut it.
@Suite struct PreTokenizerTests {
    func pieces(_ text: String, _ steps: [PreTokenizerStep]) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var ranges: [ScalarRange] = []
        scalars.withUnsafeBufferPointer { buffer in
            PreTokenizerScanner.split(buffer, ScalarRange(start: 0, end: buffer.count), steps: steps[...], into: &ranges)
        }
        return ranges.map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range.start..<range.end])
            return String(view)
        }
    }

    @Test func scannersMatchTheReferenceRegexes() throws {
        let fixture = try TokenizerFixtures.load("pretokenize.json", as: TokenizerFixtures.PreTokenize.self)
        // The fixture's patterns are the strings Loom recognises in tokenizer.json Split steps.
        #expect(fixture.patterns["gpt2"] == PreTokenizerStep.gpt2Pattern)
        #expect(fixture.patterns["llama3"] == PreTokenizerStep.llama3Pattern)
        let steps: [String: [PreTokenizerStep]] = [
            "gpt2": [.gpt2], "llama3": [.llama3], "smollm": PreTokenizerStep.steps(forGGUFPre: "smollm")!,
        ]
        var compared = 0
        for item in fixture.cases {
            guard case .text(let text) = item["text"] else { Issue.record("case without text"); continue }
            for (name, stepList) in steps {
                guard case .pieces(let expected) = item[name] else { continue }
                #expect(pieces(text, stepList).map { Array($0.utf8) } == expected.map { Array($0.utf8) }, "\(name) on \(text.debugDescription)")
                compared += 1
            }
        }
        print("pre-tokenizer: \(compared) splits compared exactly")
        #expect(compared >= 60)
    }

    @Test func ggufPreNames() {
        #expect(PreTokenizerStep.steps(forGGUFPre: "llama-bpe") == [.llama3])
        #expect(PreTokenizerStep.steps(forGGUFPre: "gpt2") == [.gpt2])
        #expect(PreTokenizerStep.steps(forGGUFPre: "no-such-pre") == nil)
    }
}
