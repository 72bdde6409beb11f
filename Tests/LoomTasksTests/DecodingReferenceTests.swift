import Foundation
@testable import LoomTasks
import LoomTensor
import Testing

/// `WhisperDecoding.decode` against openai-whisper's real `decode()` (DecodingTask.run, detect_language)
/// over the same fake decoder (Tests/Fixtures/decoding/decode.json from Scripts/reference/dump_decoding.py):
/// logits are dump_decoding.py's `base_logits` hash noise plus a boost on each window's scripted next
/// token, so every greedy choice, the log-prob sums, the no-speech probability, the decoded text, the
/// compression ratio and the detected language must agree.
@Suite struct DecodingReferenceTests {
    /// dump_decoding.py's `HashNoiseDecoder`/`HashNoiseModel` in Swift.
    struct HashNoiseModel: WhisperModelRunning {
        let specials: WhisperDecodingTokens
        let nVocab: Int
        let nTextCtx = 448
        let seed: Int
        let script: [Int]
        let boost: Float
        let noSpeechLogit: Float
        let language: (token: Int, boost: Float)?

        func encode(mel window: Tensor) throws -> Int { 0 }
        func startDecoding(_ audio: Int, batch: Int) throws -> Session { Session(model: self, batch: batch) }

        func row(context: [Int], sampleBegin: Int?) -> [Float] {
            var row = DecodingFixtures.baseLogits(nVocab: nVocab, seed: 7 * seed + context.count)
            guard let sampleBegin else {  // detect_language: one step on [sot]
                if let language { row[language.token] += language.boost }
                return row
            }
            if let noSpeech = specials.noSpeech { row[noSpeech] = noSpeechLogit }
            let sampled = context.count - sampleBegin
            if sampled >= 0 { row[sampled < script.count ? script[sampled] : specials.eot] += boost }
            return row
        }

        struct Session: WhisperDecoderSession {
            let model: HashNoiseModel
            var sequences: [[Int]]
            var sampleBegin: Int?

            init(model: HashNoiseModel, batch: Int) {
                self.model = model
                sequences = Array(repeating: [], count: batch)
            }

            mutating func logits(for newTokens: [[Int]], at positions: [Int]) throws -> [[[Float]]] {
                // The language-detection step is the only one that starts from a lone <|startoftranscript|>
                // on a multilingual model (decoding starts from [sot, language, task] there).
                let detecting = sampleBegin == nil && model.language != nil && newTokens[0] == [model.specials.sot]
                if sampleBegin == nil && !detecting { sampleBegin = newTokens[0].count }
                var result: [[[Float]]] = []
                for k in newTokens.indices {
                    let before = sequences[k].count
                    sequences[k] += newTokens[k]
                    result.append(positions.map {
                        model.row(context: Array(sequences[k][...(before + $0)]), sampleBegin: detecting ? nil : sampleBegin)
                    })
                }
                return result
            }

            mutating func reorder(_ sourceIndices: [Int]) throws { sequences = sourceIndices.map { sequences[$0] } }
        }
    }

    @Test func decodeMatchesWhisper() throws {
        let cases = try #require(DecodingFixtures.json("decode.json")["cases"] as? [[String: Any]])
        #expect(cases.count == 6)
        let zlib = try ZlibCompressionRatio()
        var worstLogprob = 0.0, worstNoSpeech = 0.0, worstLanguage = 0.0
        for c in cases {
            let name = c["name"] as! String
            let multilingual = c["multilingual"] as! Bool
            let (specials, nVocab) = try DecodingFixtures.specials(multilingual: multilingual)
            let window = c["window"] as! [String: Any]
            let languageBoost = c["language_boost"] as? [Any]
            let model = HashNoiseModel(
                specials: specials, nVocab: nVocab, seed: window["seed"] as! Int, script: window["tokens"] as! [Int],
                boost: Float(window["boost"] as! Double), noSpeechLogit: Float(window["no_speech_logit"] as! Double),
                language: languageBoost.map { (specials.languageTokens[$0[0] as! String]!, Float($0[1] as! Double)) })
            let text = ByteTableText(hexTable: c["token_bytes"] as! [String: String])
            let decoding = WhisperDecoding(model: model, specials: specials, text: text, compressionRatio: zlib.ratio)

            let raw = c["options"] as! [String: Any]
            var options = try DecodingFixtures.options(raw)
            options.sampleLength = raw["sample_len"] as? Int
            let result = try decoding.decode(0, options: options)

            #expect(result.tokens == c["tokens"] as! [Int], "\(name)")
            #expect(result.text == c["text"] as! String, "\(name)")
            #expect(result.language == c["language"] as! String, "\(name)")
            // Same zlib byte counts; 1e-12 only absorbs JSONSerialization's last-bit parsing of the expected value.
            #expect(abs(result.compressionRatio - (c["compression_ratio"] as! Double)) < 1e-12, "\(name)")
            let logprobDiff = abs(result.avgLogprob - (c["avg_logprob"] as! Double))
            let noSpeechDiff = abs(result.noSpeechProb - (c["no_speech_prob"] as! Double))
            worstLogprob = max(worstLogprob, logprobDiff)
            worstNoSpeech = max(worstNoSpeech, noSpeechDiff)
            #expect(logprobDiff < 1e-5, "\(name): avg_logprob \(result.avgLogprob)")
            #expect(noSpeechDiff < 1e-7, "\(name): no_speech_prob \(result.noSpeechProb)")
            if let expected = c["language_probs"] as? [String: Double] {
                let probabilities = try #require(result.languageProbabilities)
                for (code, p) in expected {
                    worstLanguage = max(worstLanguage, abs(probabilities[code]! - p))
                    #expect(abs(probabilities[code]! - p) < 1e-6, "\(name): P(\(code))")
                }
            }
        }
        print("decode vs whisper: avg_logprob maxdiff", worstLogprob, "(tolerance 1e-5); no_speech maxdiff", worstNoSpeech,
              "(1e-7); language prob maxdiff", worstLanguage, "(1e-6)")
    }
}
