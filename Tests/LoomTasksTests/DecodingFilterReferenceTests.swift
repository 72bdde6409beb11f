import Foundation
@testable import LoomTasks
import Testing

/// DecodingTask's setup and logit filters against openai-whisper's own classes
/// (Tests/Fixtures/decoding/{specials,filters}.json from Scripts/reference/dump_decoding.py).
@Suite struct DecodingFilterReferenceTests {
    @Test func planMatchesDecodingTaskInit() throws {
        let tasks = try #require(DecodingFixtures.json("specials.json")["tasks"] as? [[String: Any]])
        #expect(tasks.count == 8)
        for task in tasks {
            let name = task["name"] as! String
            let multilingual = task["multilingual"] as! Bool
            let (specials, _) = try DecodingFixtures.specials(multilingual: multilingual)
            let options = try DecodingFixtures.options(task["options"] as! [String: Any])
            let plan = try WhisperDecodingPlan(specials: specials, options: options, nTextCtx: 448)
            #expect(plan.initialTokens == task["initial_tokens"] as! [Int], "\(name)")
            #expect(plan.sampleBegin == task["sample_begin"] as! Int, "\(name)")
            #expect(plan.sotIndex == task["sot_index"] as! Int, "\(name)")
            #expect(plan.sampleLength == task["sample_len"] as! Int, "\(name)")
            #expect(plan.suppressTokens == task["suppress_tokens"] as! [Int], "\(name)")
            #expect(plan.maxInitialTimestampIndex == task["max_initial_timestamp_index"] as? Int, "\(name)")
            let filterNames = plan.filters.map { String(describing: type(of: $0)) }
            #expect(filterNames == task["filters"] as! [String], "\(name)")
        }
    }

    @Test func filterMasksMatchReference() throws {
        let all = try DecodingFixtures.json("specials.json")
        let optionSets = Dictionary(uniqueKeysWithValues: (all["tasks"] as! [[String: Any]]).map {
            ($0["name"] as! String, $0["options"] as! [String: Any])
        })
        let cases = try #require(DecodingFixtures.json("filters.json")["cases"] as? [[String: Any]])
        #expect(cases.count == 21)
        for c in cases {
            let name = c["name"] as! String
            let (specials, nVocab) = try DecodingFixtures.specials(multilingual: c["multilingual"] as! Bool)
            let options = try DecodingFixtures.options(optionSets[c["option_set"] as! String]!)
            let plan = try WhisperDecodingPlan(specials: specials, options: options, nTextCtx: 448)
            let tokens = c["tokens"] as! [Int]
            #expect(Array(tokens.prefix(plan.sampleBegin)) == plan.initialTokens, "\(name)")
            var logits = DecodingFixtures.baseLogits(nVocab: nVocab, seed: c["seed"] as! Int)
            #expect(nVocab == c["n_vocab"] as! Int)
            for boost in c["boosts"] as! [[Any]] {
                let value = Float(boost[1] as! Double)
                if boost[0] as? String == "timestamps" {
                    for i in specials.timestampBegin..<nVocab { logits[i] += value }
                } else {
                    logits[boost[0] as! Int] += value
                }
            }
            let before = logits
            for filter in plan.filters { filter.apply(&logits, tokens: tokens) }
            let expected = (c["neg_inf_ranges"] as! [[Int]]).map { $0[0]..<$0[1] }
            #expect(Self.negativeInfinityRanges(logits) == expected, "\(name)")
            // Filters only mask: every surviving logit is untouched.
            let changed = logits.indices.filter { logits[$0] != -.infinity && logits[$0] != before[$0] }
            #expect(changed.isEmpty, "\(name)")
            #expect(GreedyTokenDecoder.argmax(logits) == c["argmax"] as! Int, "\(name)")
        }
    }

    @Test func unknownLanguageIsRejected() throws {
        let (specials, _) = try DecodingFixtures.specials(multilingual: true)
        var options = WhisperDecodingOptions()
        options.language = "xx"
        #expect(throws: WhisperDecodingError.self) { try WhisperDecodingPlan(specials: specials, options: options, nTextCtx: 448) }
        let error = try? #require(throws: WhisperDecodingError.self) {
            try WhisperDecodingPlan(specials: specials, options: options, nTextCtx: 448)
        }
        #expect(error?.description.contains("unsupported language 'xx'") == true)
    }

    @Test func invalidOptionCombinationsAreRejected() throws {
        let (specials, _) = try DecodingFixtures.specials(multilingual: false)
        var cases: [WhisperDecodingOptions] = []
        var o = WhisperDecodingOptions(); o.beamSize = 5; o.bestOf = 5; o.temperature = 0.5; cases.append(o)
        o = WhisperDecodingOptions(); o.bestOf = 5; cases.append(o)
        o = WhisperDecodingOptions(); o.patience = 1.5; cases.append(o)
        o = WhisperDecodingOptions(); o.lengthPenalty = 1.5; cases.append(o)
        o = WhisperDecodingOptions(); o.temperature = -1; cases.append(o)
        o = WhisperDecodingOptions(); o.temperature = .nan; cases.append(o)
        o = WhisperDecodingOptions(); o.sampleLength = 0; cases.append(o)
        for options in cases {
            #expect(throws: WhisperDecodingError.self) { try WhisperDecodingPlan(specials: specials, options: options, nTextCtx: 448) }
        }
    }

    @Test func pythonSuffixSlicesLikePython() {
        let values = [1, 2, 3, 4]
        #expect(WhisperDecodingPlan.pythonSuffix(values, from: -2) == [3, 4])
        #expect(WhisperDecodingPlan.pythonSuffix(values, from: -9) == values)
        #expect(WhisperDecodingPlan.pythonSuffix(values, from: 0) == values)  // prefix[-0:] keeps all
        #expect(WhisperDecodingPlan.pythonSuffix(values, from: 3) == [4])
    }

    static func negativeInfinityRanges(_ row: [Float]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start: Int?
        for i in 0...row.count {
            let masked = i < row.count && row[i] == -.infinity
            if masked, start == nil { start = i }
            if !masked, let s = start { ranges.append(s..<i); start = nil }
        }
        return ranges
    }
}

/// `WhisperDecodingTokens.nonSpeechTokens(encode:)` against `Tokenizer.non_speech_tokens`, with the
/// tokenizers' own encodings of the strings it looks at (specials.json).
@Suite struct DecodingNonSpeechTokenTests {
    @Test(arguments: [false, true])
    func matchesWhisperTokenizer(multilingual: Bool) throws {
        let all = try DecodingFixtures.json("specials.json")
        let side = try #require(all[multilingual ? "multilingual" : "english"] as? [String: Any])
        let encodings = try #require(side["non_speech_encodings"] as? [String: [Int]])
        var missing: [String] = []
        let tokens = WhisperDecodingTokens.nonSpeechTokens { text in
            guard let ids = encodings[text] else { missing.append(text); return [] }
            return ids
        }
        #expect(missing.isEmpty, "strings the reference never encoded: \(missing)")
        #expect(tokens == side["non_speech_tokens"] as! [Int])
        print(multilingual ? "multilingual" : "english", "non-speech tokens", tokens.count)
    }
}
