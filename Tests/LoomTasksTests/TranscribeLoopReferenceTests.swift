import LoomTokenizers
import Foundation
import LoomFeatures
@testable import LoomTasks
import LoomTensor
import LoomTestSupport
import Testing

/// The transcription loop against openai-whisper's real `transcribe()` driven by scripted decode results
/// (Tests/Fixtures/decoding/transcribe.json from Scripts/reference/dump_decoding.py): the same decode
/// calls (temperature fallback, prompts, language, task) and the same transcript (segments, seek,
/// times, skipped silence, cleared empty segments).
@Suite struct TranscribeLoopReferenceTests {
    struct Fixture: Decodable {
        var scenarios: [Scenario]
        var englishTokenBytes: [String: String]
        var multilingualTokenBytes: [String: String]
        enum CodingKeys: String, CodingKey {
            case scenarios, englishTokenBytes = "english_token_bytes", multilingualTokenBytes = "multilingual_token_bytes"
        }
    }
    struct Scenario: Decodable {
        var name: String
        var multilingual: Bool
        var samples: Int
        var options: ScenarioOptions
        var initialPrompt: String?
        var initialPromptTokens: [Int]
        var script: [Step]
        var calls: [Call]
        var languageProbs: [String: Double]?
        var detectCalls: Int
        var result: Transcript
        enum CodingKeys: String, CodingKey {
            case name, multilingual, samples, options, script, calls, result
            case initialPrompt = "initial_prompt", initialPromptTokens = "initial_prompt_tokens"
            case languageProbs = "language_probs", detectCalls = "detect_calls"
        }
    }
    struct ScenarioOptions: Decodable {
        var task: String?
        var conditionOnPreviousText: Bool?
        enum CodingKeys: String, CodingKey { case task, conditionOnPreviousText = "condition_on_previous_text" }
    }
    struct Step: Decodable {
        var tokens: [Int]
        var avgLogprob: Double
        var noSpeechProb: Double
        var compressionRatio: Double
        enum CodingKeys: String, CodingKey {
            case tokens, avgLogprob = "avg_logprob", noSpeechProb = "no_speech_prob", compressionRatio = "compression_ratio"
        }
    }
    struct Call: Decodable, Equatable {
        var temperature: Double
        var prompt: [Int]
        var language: String
        var task: String
    }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Fixtures.url("decoding/transcribe.json")))
    }

    @Test(arguments: ["fallback_and_silence", "initial_prompt", "empty_window", "multilingual_translate"])
    func scriptedTranscriptMatchesWhisper(_ name: String) throws {
        let fixture = try Self.fixture()
        let scenario = try #require(fixture.scenarios.first { $0.name == name })
        let (specials, _) = try DecodingFixtures.specials(multilingual: scenario.multilingual)
        var encodings: [String: [Int]] = [:]
        if let prompt = scenario.initialPrompt { encodings[" " + prompt] = scenario.initialPromptTokens }
        let text = ByteTableText(
            hexTable: scenario.multilingual ? fixture.multilingualTokenBytes : fixture.englishTokenBytes,
            encodings: encodings)

        var options = WhisperTranscribeOptions()
        options.initialPrompt = scenario.initialPrompt
        if let task = scenario.options.task { options.decoding.task = try #require(WhisperTask(rawValue: task)) }
        if let condition = scenario.options.conditionOnPreviousText { options.conditionOnPreviousText = condition }
        let loop = WhisperTranscriptionLoop(specials: specials, text: text, options: options)

        // A silent spectrogram of the scenario's length; the scripted decoder ignores its content.
        let frames = LogMelSpectrogram.frameCount(samples: scenario.samples, paddingSamples: LogMelSpectrogram.samplesPerWindow)
        let mel = Tensor(zeros: [80, frames])
        var script = scenario.script[...]
        var calls: [Call] = []
        var detectCalls = 0, encodeCalls = 0
        var progress: [Int] = []
        let transcript = try loop.run(
            mel: mel,
            encode: { window -> Int in
                #expect(window.shape == [80, 3000])
                encodeCalls += 1
                return encodeCalls
            },
            decode: { _, options in
                calls.append(Call(
                    temperature: options.temperature, prompt: options.prompt, language: options.language ?? "nil",
                    task: options.task.rawValue))
                guard let step = script.popFirst() else { throw WhisperDecodingError.invalidOptions("script exhausted") }
                return WhisperDecodingResult(
                    language: options.language ?? "", tokens: step.tokens, text: "", avgLogprob: step.avgLogprob,
                    noSpeechProb: step.noSpeechProb, temperature: options.temperature, compressionRatio: step.compressionRatio)
            },
            detectLanguage: scenario.languageProbs.map { probabilities in
                { _ in
                    detectCalls += 1
                    let best = probabilities.max { $0.value < $1.value }!.key
                    return (best, probabilities)
                }
            },
            progress: { done, total in
                #expect(total == frames - 3000)
                progress.append(done)
            })

        #expect(script.isEmpty, "every scripted result is used")
        #expect(calls == scenario.calls)
        #expect(detectCalls == scenario.detectCalls)
        #expect(transcript.language == scenario.result.language)
        #expect(transcript.text == scenario.result.text)
        #expect(transcript.segments.count == scenario.result.segments.count)
        for (mine, var theirs) in zip(transcript.segments, scenario.result.segments) {
            theirs.words = nil  // the dump writes `words: []` for segments without text; no word timestamps here
            #expect(mine == theirs, "segment \(theirs.id)")
        }
        #expect(progress.last == frames - 3000, "progress ends at the content length")
        #expect(progress == progress.sorted(), "progress never goes back")
        print(name, "segments", transcript.segments.count, "decode calls", calls.count, "windows", progress.count)
    }

    @Test func segmentSplittingEdgeCases() {
        let tb = 50363
        // No tokens: one segment over the whole window, seek by the window.
        var split = WhisperTranscriptionLoop.splitSegments([], timestampBegin: tb, segmentDuration: 7.5)
        #expect(split.pieces == [.init(start: 0, end: 7.5, tokens: [])])
        #expect(split.seekAdvance == nil)
        // Single token that is a timestamp other than <|0.00|>: ends there.
        split = WhisperTranscriptionLoop.splitSegments([tb + 25], timestampBegin: tb, segmentDuration: 30)
        #expect(split.pieces == [.init(start: 0, end: 0.5, tokens: [tb + 25])])
        // A pair at the very end (not a single-timestamp ending): seek to the last timestamp.
        split = WhisperTranscriptionLoop.splitSegments([tb, 11, tb + 40, tb + 40], timestampBegin: tb, segmentDuration: 30)
        #expect(split.pieces == [.init(start: 0, end: 0.8, tokens: [tb, 11, tb + 40])])
        #expect(split.seekAdvance == 80)
    }

    @Test func fallbackDecisions() throws {
        let (specials, _) = try DecodingFixtures.specials(multilingual: false)
        let loop = WhisperTranscriptionLoop(specials: specials, text: ByteTableText(hexTable: [:]), options: WhisperTranscribeOptions())
        func result(_ ratio: Double, _ logprob: Double, _ noSpeech: Double) -> WhisperDecodingResult {
            WhisperDecodingResult(language: "en", tokens: [], text: "", avgLogprob: logprob, noSpeechProb: noSpeech,
                                  temperature: 0, compressionRatio: ratio)
        }
        #expect(!loop.needsFallback(result(2.4, -1.0, 0.1)), "thresholds are strict")
        #expect(loop.needsFallback(result(2.41, -0.2, 0.1)))
        #expect(loop.needsFallback(result(1.5, -1.01, 0.1)))
        #expect(!loop.needsFallback(result(1.5, -1.01, 0.61)), "silence is accepted")
        #expect(loop.needsFallback(result(3.0, -0.5, 0.9)), "repetition with high no-speech still falls back")
        var off = WhisperTranscribeOptions()
        off.compressionRatioThreshold = nil
        off.logprobThreshold = nil
        let lenient = WhisperTranscriptionLoop(specials: specials, text: ByteTableText(hexTable: [:]), options: off)
        #expect(!lenient.needsFallback(result(9, -9, 0.1)))
    }

    @Test func badSpectrogramIsRejected() throws {
        let (specials, _) = try DecodingFixtures.specials(multilingual: false)
        let loop = WhisperTranscriptionLoop(specials: specials, text: ByteTableText(hexTable: [:]), options: WhisperTranscribeOptions())
        #expect(throws: WhisperDecodingError.melShape([4000])) {
            try loop.run(mel: Tensor(zeros: [4000]), encode: { $0 }, decode: { _, _ in
                Issue.record("nothing to decode")
                throw WhisperDecodingError.allTokensSuppressed
            }, detectLanguage: nil)
        }
        // Shorter than the padding: no content frames, an empty transcript without decoding.
        let empty = try loop.run(mel: Tensor(zeros: [80, 3000]), encode: { $0 }, decode: { _, _ in
            Issue.record("nothing to decode")
            throw WhisperDecodingError.allTokensSuppressed
        }, detectLanguage: nil)
        #expect(empty == Transcript(text: "", segments: [], language: "en"))
    }
}
