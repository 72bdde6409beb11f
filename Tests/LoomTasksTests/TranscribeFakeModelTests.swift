import Foundation
import LoomGeneration
import LoomFeatures
import LoomMedia
@testable import LoomTasks
import LoomTensor
import Testing

/// The whole path (windows, encoder, decoder sessions, filters, greedy and sampled decoding, fallback,
/// silence skip, prompts) over a scripted deterministic model; expectations worked out by hand from
/// whisper's rules.
@Suite struct TranscribeFakeModelTests {
    static func english() throws -> (WhisperDecodingTokens, Int) { try DecodingFixtures.specials(multilingual: false) }

    /// A 50 s spectrogram (5000 content frames + 3000 padding) whose bin 0 holds each frame's index.
    static func indexedMel(contentFrames: Int) -> Tensor {
        var mel = Tensor(zeros: [80, contentFrames + 3000])
        for t in 0..<(contentFrames + 3000) { mel.data[t] = Float(t) }
        return mel
    }

    @Test func loopOverFakeModel() throws {
        let (specials, nVocab) = try Self.english()
        let tb = specials.timestampBegin
        let repeated = [tb] + Array(repeating: 105, count: 40) + [tb + 600]
        let model = FakeWhisperModel(specials: specials, nVocab: nVocab, windows: [
            // Confident; a closed segment, then an unfinished tail: seek to <|2.00|> = frame 200.
            0: FakeWindow(tokens: [tb, 100, 101, tb + 100, tb + 100, 102, 103], boost: 25, noSpeechLogit: -5),
            // Unsure and probably silent: skipped whole.
            200: FakeWindow(tokens: [tb, 104], boost: 3, noSpeechLogit: 10),
            // Repetitive at every temperature: the 1.0 result is kept and resets the prompt.
            3200: FakeWindow(tokens: repeated, boost: 25, noSpeechLogit: -5),
        ])
        let zlib = try ZlibCompressionRatio()
        let decoding = WhisperDecoding(model: model, specials: specials, text: WordPerTokenText(), compressionRatio: zlib.ratio)
        var progress: [Int] = []
        let transcript = try WhisperTranscriber(decoding: decoding)
            .transcribe(mel: Self.indexedMel(contentFrames: 5000), progress: { done, total in
                #expect(total == 5000)
                progress.append(done)
            })

        #expect(progress == [200, 3200, 5000])
        #expect(model.log.encodedStarts == [0, 200, 3200], "one encoder pass per window, reused across temperatures")
        // Greedy at temperature 0; each fallback temperature samples best-of 5 (whisper's default).
        #expect(model.log.batches == [1, 1, 1, 5, 5, 5, 5, 5])
        let prompted = [specials.sotPrev, tb, 100, 101, tb + 100, specials.sot]
        #expect(model.log.initialTokens == [[specials.sot], prompted] + Array(repeating: prompted, count: 6))
        #expect(transcript.language == "en")
        let repeatedText = String(repeating: " w105", count: 40)
        #expect(transcript.text == " w100 w101" + repeatedText)
        try #require(transcript.segments.count == 2)

        let first = transcript.segments[0]
        #expect(first.id == 0 && first.seek == 0 && first.start == 0 && first.end == 2.0)
        #expect(first.tokens == [tb, 100, 101, tb + 100] && first.text == " w100 w101")
        #expect(first.temperature == 0)
        // no_speech at <|startoftranscript|>: e^-5 / (e^25 + (V - 1) e^-5).
        let expectedNoSpeech = exp(-5.0) / (exp(25.0) + Double(nVocab - 1) * exp(-5.0))
        #expect(abs(first.noSpeechProb - expectedNoSpeech) / expectedNoSpeech < 1e-6)
        #expect(first.avgLogprob < 0 && first.avgLogprob > -1e-6)
        #expect(first.compressionRatio == zlib.ratio("w100 w101 w102 w103"))

        let second = transcript.segments[1]
        #expect(second.id == 1 && second.seek == 3200 && second.start == 32.0 && second.end == 44.0)
        #expect(second.tokens == repeated && second.text == repeatedText)
        #expect(second.temperature == 1.0)
        #expect(second.compressionRatio > 2.4)
        print("fake model loop: segments", transcript.segments.count, "no_speech", first.noSpeechProb)
    }

    @Test func audioPathComputesThePaddedSpectrogram() throws {
        let (specials, nVocab) = try Self.english()
        // No script for this window: the decoder wants eot at once, which the timestamp rules forbid
        // before a first timestamp, so it emits <|0.00|> (first of 51 equal choices) and then eot: one
        // empty 1-second segment. Greedy only: the low log-prob would otherwise fall back to sampling.
        let model = FakeWhisperModel(specials: specials, nVocab: nVocab, windows: [:])
        let decoding = WhisperDecoding(model: model, specials: specials, text: WordPerTokenText(), compressionRatio: { _ in 1 })
        let transcriber = WhisperTranscriber(decoding: decoding)
        let mel = try LogMelSpectrogram(melBins: 80, threads: 1)
        let audio = AudioBuffer(sampleRate: 16_000, samples: [Float](repeating: 0, count: 16_000))
        var options = WhisperTranscribeOptions()
        options.temperatures = [0]
        let transcript = try transcriber.transcribe(audio: audio, melSpectrogram: mel, options: options)
        // Second step: eot at 10 against every unmasked non-timestamp token at -5.
        let plan = try WhisperDecodingPlan(specials: specials, options: WhisperDecodingOptions(), nTextCtx: 448)
        let others = (0..<specials.timestampBegin).filter {
            $0 != specials.eot && $0 != specials.noTimestamps && !plan.suppressTokens.contains($0)
        }.count
        let expectedAvg = (log(1 / 51.0) + log(exp(10) / (exp(10) + Double(others) * exp(-5)))) / 2
        let measured = transcript.segments.first!.avgLogprob
        print("avg_logprob", measured, "expected", expectedAvg, "(tolerance 1e-5, float32 sums)")
        #expect(abs(measured - expectedAvg) < 1e-5)
        #expect(transcript.segments.count == 1)
        #expect(transcript.segments.first?.start == 0 && transcript.segments.first?.end == 1.0)
        #expect(transcript.segments.first?.text == "" && transcript.segments.first?.tokens == [])
        #expect(transcript.text == "")
        #expect(throws: LogMelError.self) {
            try transcriber.transcribe(audio: AudioBuffer(sampleRate: 44_100, samples: [0, 0]), melSpectrogram: mel)
        }
    }

    @Test func unsureWindowIsSilentByTheNumbers() throws {
        let (specials, nVocab) = try Self.english()
        let tb = specials.timestampBegin
        let model = FakeWhisperModel(specials: specials, nVocab: nVocab, windows: [
            0: FakeWindow(tokens: [tb, 104], boost: 3, noSpeechLogit: 10),
        ])
        let decoding = WhisperDecoding(model: model, specials: specials, text: WordPerTokenText(), compressionRatio: { _ in 1 })
        let result = try decoding.decode(0, options: WhisperDecodingOptions())
        #expect(result.tokens == [tb, 104])
        #expect(result.noSpeechProb > 0.6)
        #expect(result.avgLogprob < -1)
        print("unsure window: avg_logprob", result.avgLogprob, "no_speech", result.noSpeechProb)
    }

    @Test func bestOfSamplesSeveralSequences() throws {
        let (specials, nVocab) = try Self.english()
        let tb = specials.timestampBegin
        let model = FakeWhisperModel(specials: specials, nVocab: nVocab, windows: [
            0: FakeWindow(tokens: [tb, 400, 401, tb + 30], boost: 25, noSpeechLogit: -5),
        ])
        let decoding = WhisperDecoding(model: model, specials: specials, text: WordPerTokenText(), compressionRatio: { _ in 1 })
        var options = WhisperDecodingOptions()
        options.temperature = 0.7
        options.bestOf = 3
        options.seed = 42
        let result = try decoding.decode(0, options: options)
        #expect(model.log.batches == [3])
        #expect(result.tokens == [tb, 400, 401, tb + 30])
        #expect(result.text == "w400 w401")
        #expect(result.temperature == 0.7)
    }

    @Test func languageDetectionAndTokenRewrite() throws {
        let (specials, nVocab) = try DecodingFixtures.specials(multilingual: true)
        let de = try #require(specials.languageTokens["de"])
        let tb = specials.timestampBegin
        var model = FakeWhisperModel(specials: specials, nVocab: nVocab, windows: [
            0: FakeWindow(tokens: [tb, 400, tb + 10], boost: 25, noSpeechLogit: -5),
        ])
        model.language = (de, 4)
        let decoding = WhisperDecoding(model: model, specials: specials, text: WordPerTokenText(), compressionRatio: { _ in 1 })
        let detected = try decoding.detectLanguage(0)
        #expect(detected.language == "de")
        #expect(detected.probabilities.count == specials.languageTokens.count)
        let total = detected.probabilities.values.reduce(0, +)
        #expect(abs(total - 1) < 1e-9)
        // e^4 / (e^4 + 98 e^-5) for the boosted one of 99 languages.
        #expect(abs(detected.probabilities["de"]! - exp(4.0) / (exp(4.0) + 98 * exp(-5.0))) < 1e-9)

        let result = try decoding.decode(0, options: WhisperDecodingOptions())
        #expect(result.language == "de")
        #expect(result.languageProbabilities?["de"] == detected.probabilities["de"])
        #expect(model.log.initialTokens.last == [specials.sot, de, specials.transcribe])
        #expect(result.tokens == [tb, 400, tb + 10])
    }

    @Test func errorsAreReported() throws {
        let (english, nVocab) = try Self.english()
        let model = FakeWhisperModel(specials: english, nVocab: nVocab, windows: [:])
        let decoding = WhisperDecoding(model: model, specials: english, text: WordPerTokenText(), compressionRatio: { _ in 1 })
        #expect(throws: WhisperDecodingError.notMultilingual) { try decoding.detectLanguage(0) }
        var beam = WhisperDecodingOptions()
        beam.beamSize = 0
        #expect(throws: (any Error).self) { try decoding.decode(0, options: beam) }

        // A model whose vocabulary does not reach the timestamps cannot go with this tokenizer.
        let small = FakeWhisperModel(specials: english, nVocab: 1000, windows: [:])
        let mismatched = WhisperDecoding(model: small, specials: english, text: WordPerTokenText(), compressionRatio: { _ in 1 })
        let error = try #require(throws: WhisperDecodingError.self) { try mismatched.decode(0, options: WhisperDecodingOptions()) }
        #expect(error.description.contains("wrong shape"))
    }

    @Test func samplerIsSeededAndFollowsTheDistribution() throws {
        var decoder = try GreedyTokenDecoder(temperature: 1, eot: 9, seed: 7)
        var again = try GreedyTokenDecoder(temperature: 1, eot: 9, seed: 7)
        let logits: [Float] = [0, Float(log(3.0)), -.infinity]
        var counts = [0, 0, 0]
        var draws: [Int] = [], repeatDraws: [Int] = []
        for _ in 0..<4000 {
            var tokens = [[1]], sums: [Float] = [0]
            _ = try decoder.update(tokens: &tokens, logits: [logits], sumLogprobs: &sums)
            counts[tokens[0][1]] += 1
            draws.append(tokens[0][1])
            var other = [[1]], otherSums: [Float] = [0]
            _ = try again.update(tokens: &other, logits: [logits], sumLogprobs: &otherSums)
            repeatDraws.append(other[0][1])
        }
        #expect(draws == repeatDraws, "same seed, same draws")
        #expect(counts[2] == 0, "masked tokens are never drawn")
        let share = Double(counts[1]) / 4000
        print("sampled share of p=0.75 token", share, "(tolerance 0.03)")
        #expect(abs(share - 0.75) < 0.03)

        var allMasked = try GreedyTokenDecoder(temperature: 0.5, eot: 9, seed: 1)
        var tokens = [[1]], sums: [Float] = [0]
        #expect(throws: GenerationError.allTokensMasked) {
            try allMasked.update(tokens: &tokens, logits: [[-.infinity, -.infinity]], sumLogprobs: &sums)
        }
    }

    @Test func finishedSequencesStayFinished() throws {
        var decoder = try GreedyTokenDecoder(temperature: 0, eot: 2, seed: 0)
        var tokens = [[5, 2], [5, 1]]
        var sums: [Float] = [-1, -1]
        let step = try decoder.update(tokens: &tokens, logits: [[0, 5, 1], [0, 0, 5]], sumLogprobs: &sums)
        #expect(tokens == [[5, 2, 2], [5, 1, 2]])
        #expect(sums[0] == -1, "no log-prob added after eot")
        #expect(sums[1] < -1)
        #expect(step.completed)
    }

    @Test func xoshiroMatchesReferenceOutputs() throws {
        // Tests/Fixtures/decoding/xoshiro.json: the published algorithm transcribed in Python.
        let seeds = try #require(DecodingFixtures.json("xoshiro.json")["seeds"] as? [String: [String]])
        #expect(seeds.count == 4)
        for (seed, outputs) in seeds {
            var rng = Xoshiro256StarStar(seed: try #require(UInt64(seed)))
            #expect((0..<outputs.count).map { _ in String(rng.next()) } == outputs, "seed \(seed)")
        }
        var unit = Xoshiro256StarStar(seed: 99)
        for _ in 0..<1000 {
            let u = unit.nextUnitDouble()
            #expect(u >= 0 && u < 1)
        }
    }
}
