import Foundation
import LoomMedia
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing
@testable import LoomTasks

/// Word timestamps against their references (Scripts/reference/dump_word_timestamps.py): timing.py's
/// median filter, DTW and attention matrix on seeded inputs; faster-whisper's `word_timestamps=True` on
/// the same CTranslate2 weights (greedy, no VAD); openai-whisper's srt/vtt writers over those words.
@Suite(.serialized) struct WordTimestampsTests {
    struct Timing: Decodable {
        struct Median: Decodable { let input: [Float]; let output: [Float] }
        struct Path: Decodable { let cost: [[Float]]; let rows: [Int]; let columns: [Int] }
        struct Matrix: Decodable { let scores: [[[Float]]]; let output: [[Float]] }
        let median: [Median]
        let dtw: Path
        let matrix: Matrix
    }

    static func timing() throws -> Timing {
        try JSONDecoder().decode(Timing.self, from: Data(contentsOf: Fixtures.url("words/timing.json")))
    }

    @Test func medianFilterMatchesTimingPy() throws {
        for (index, row) in try Self.timing().median.enumerated() {
            let ours = WordAlignment.medianFilter(row.input, width: 7)
            // A median picks one of its inputs: exact.
            #expect(ours == row.output, "row \(index) of \(row.input.count)")
        }
    }

    @Test func dtwPathMatchesTimingPy() throws {
        let reference = try Self.timing().dtw
        let cost = Tensor(shape: [reference.cost.count, reference.cost[0].count], data: Array(reference.cost.joined()))
        let path = WordAlignment.dtw(cost)
        #expect(path.map(\.row) == reference.rows)
        #expect(path.map(\.column) == reference.columns)
    }

    @Test func attentionMatrixMatchesTimingPy() throws {
        let reference = try Self.timing().matrix
        let heads = reference.scores.map { head in
            Tensor(shape: [head.count, head[0].count], data: Array(head.joined()))
        }
        let ours = WordAlignment.matrix(scores: heads)
        let expected = Array(reference.output.joined())
        let maxDiff = zip(ours.data, expected).map { abs($0 - $1) }.max() ?? .infinity
        print("alignment matrix max abs diff vs timing.py:", maxDiff)
        #expect(ours.shape == [reference.output.count, reference.output[0].count])
        #expect(maxDiff <= 1e-4, "softmax, standardize, median, mean: \(maxDiff)")
    }

    /// timing.py's merge_punctuations: an opening quote joins the next word, closing marks the previous.
    @Test func punctuationMergesLikeTimingPy() throws {
        let (specials, _) = try DecodingFixtures.specials(multilingual: false)
        let timer = WordTimestamps(specials: specials, text: WordPerTokenText())
        func word(_ text: String, _ token: Int) -> WordTiming {
            WordTiming(word: text, tokens: [token], start: Double(token), end: Double(token) + 1, probability: 0.5)
        }
        var words = [word(" \"", 1), word("Hello", 2), word(",", 3), word(" world", 4), word("!\"", 5)]
        timer.mergePunctuations(&words)
        // `following.word in appended` is a substring test: "!\"" is not in the marks, so it stays apart.
        #expect(words.map(\.word) == ["", " \"Hello,", "", " world", "!\""], "\(words.map(\.word))")
        #expect(words[1].tokens == [1, 2, 3] && words[3].tokens == [4] && words[0].tokens.isEmpty)
    }

    /// Token ids below 256 are bytes, 256 is <|endoftext|>; decoding is UTF-8 with U+FFFD for broken
    /// characters, as byte-level BPE does.
    struct ByteText: WhisperTextDecoding {
        func decode(_ ids: [Int]) -> String {
            String(decoding: ids.flatMap { $0 < 256 ? [UInt8($0)] : Array("<|endoftext|>".utf8) }, as: UTF8.self)
        }
        func encode(_ text: String) -> [Int] { text.utf8.map(Int.init) }
    }

    /// split_tokens_on_unicode for languages without spaces: a cut after each complete character, so a
    /// character spread over several tokens stays whole; split_tokens_on_spaces joins pieces into words.
    @Test func wordsSplitAtCharactersOrSpaces() {
        let text = ByteText()
        let japanese = WordSplitting.split(text.encode("日本"), language: "ja", eot: 256, text: text)
        #expect(japanese.map(\.word) == ["日", "本"] && japanese.map(\.tokens.count) == [3, 3])
        let english = WordSplitting.split(text.encode(" Hi, you") + [256], language: "en", eot: 256, text: text)
        #expect(english.map(\.word) == [" Hi", ",", " you", "<|endoftext|>"], "\(english.map(\.word))")
        #expect(english.map(\.tokens) == [[32, 72, 105], [44], [32, 121, 111, 117], [256]])
    }

    struct Golden: Decodable {
        struct Word: Decodable { let word: String; let start: Double; let end: Double; let probability: Double }
        struct Segment: Decodable { let start: Double; let end: Double; let text: String; let words: [Word] }
        struct Clip: Decodable { let text: String; let segments: [Segment] }
        let long: [String]
        let clips: [String: Clip]
    }

    static func golden(_ model: String) throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Fixtures.url("words/\(model).json")))
    }

    static func audio(_ clip: String, golden: Golden) throws -> AudioBuffer {
        let paths = clip == "long" ? golden.long : [clip]
        let samples = try paths.flatMap {
            try AudioDecoder().decode(contentsOf: Fixtures.repositoryRoot.appendingPathComponent($0)).samples
        }
        return AudioBuffer(sampleRate: 16_000, samples: samples)
    }

    /// Same text, same words, every start and end within 0.05 s of faster-whisper's.
    @Test(arguments: ["whisper-tiny.en", "whisper-base"])
    func wordsMatchFasterWhisper(model name: String) throws {
        guard let folder = InstalledModels.file(name, "model.bin")?.deletingLastPathComponent() else { return }
        let golden = try Self.golden(name)
        let pipeline = try WhisperPipeline(folder: folder)
        var options = WhisperTranscribeOptions()
        options.temperatures = [0]
        options.decoding.language = "en"
        options.wordTimestamps = true
        for (clip, reference) in golden.clips.sorted(by: { $0.key < $1.key }) {
            let started = Date()
            let transcript = try pipeline.transcribe(try Self.audio(clip, golden: golden), options: options)
            let seconds = Date().timeIntervalSince(started)
            #expect(transcript.text == reference.text, "\(name) \(clip)")
            let segments = transcript.segments.filter { !$0.text.isEmpty }
            #expect(segments.map(\.text) == reference.segments.map(\.text), "\(name) \(clip)")
            let ours = segments.flatMap { $0.words ?? [] }, theirs = reference.segments.flatMap(\.words)
            #expect(ours.map(\.word) == theirs.map(\.word), "\(name) \(clip)")
            var worst = 0.0, worstProbability = 0.0
            for (a, b) in zip(ours, theirs) {
                worst = max(worst, abs(a.start - b.start), abs(a.end - b.end))
                worstProbability = max(worstProbability, abs(a.probability - b.probability))
                #expect(abs(a.start - b.start) <= 0.05 && abs(a.end - b.end) <= 0.05,
                        "\(name) \(clip) '\(a.word)': \(a.start)-\(a.end) vs \(b.start)-\(b.end)")
            }
            for (a, b) in zip(segments, reference.segments) {
                #expect(abs(a.start - b.start) <= 0.05 && abs(a.end - b.end) <= 0.05,
                        "\(name) \(clip) segment '\(a.text)': \(a.start)-\(a.end) vs \(b.start)-\(b.end)")
            }
            print(String(format: "%@ %@: %d words, max time diff %.3f s, max probability diff %.4f, %.1f s",
                         name, clip, ours.count, worst, worstProbability, seconds))
            #expect(worstProbability <= 0.02, "\(name) \(clip): word probabilities differ by \(worstProbability)")
        }
    }

    struct OpenAIAlignment: Decodable {
        struct Word: Decodable { let word: String; let start: Double; let end: Double; let probability: Double }
        let text_tokens: [Int]
        let num_frames: Int
        let sot: Int
        let eot: Int
        let no_timestamps: Int
        let words: [Word]
    }

    /// openai-whisper's `find_alignment` on the seeded Hugging Face checkpoint (no alignment_heads in its
    /// config, so the default heads: the last half of the decoder layers), one word per token.
    @Test func alignmentMatchesOpenAIWhisperOnAHuggingFaceCheckpoint() throws {
        let reference = try JSONDecoder().decode(OpenAIAlignment.self, from: Data(contentsOf: Fixtures.url("words/openai-tiny-random.json")))
        let model = try WhisperModel(folder: Fixtures.url("whisper/tiny-random"))
        #expect(model.alignmentHeads == (0..<4).map { WhisperAlignmentHead(layer: 1, head: $0) })
        // dump_whisper.py's mel: sin(0.013 (c + 1) t) * 0.8 + cos(0.07 c + 0.001 t) * 0.3, rounded to float32.
        var mel = Tensor(zeros: [80, 3000])
        for c in 0..<80 {
            for t in 0..<3000 {
                mel.data[c * 3000 + t] = Float(sin(0.013 * Double(c + 1) * Double(t)) * 0.8 + cos(0.07 * Double(c) + 0.001 * Double(t)) * 0.3)
            }
        }
        let encoded = try model.encode(mel: mel)
        let specials = WhisperDecodingTokens(
            sot: reference.sot, eot: reference.eot, transcribe: 95, translate: 96, noTimestamps: reference.no_timestamps, noSpeech: nil,
            sotPrev: 97, sotLM: 98, timestampBegin: 92, multilingual: false, languageTokens: [:], nonSpeechTokens: [], blankTokens: [])
        let timer = WordTimestamps(specials: specials, text: WordPerTokenText())
        let tokens = timer.alignmentTokens(reference.text_tokens, sotSequence: [reference.sot])
        let pass = try model.alignmentPass(encoderOutput: encoded, tokens: tokens, frames: reference.num_frames / 2)
        let words = timer.alignment(reference.text_tokens, pass: pass, sotLength: 1, language: "en")
        #expect(words.map(\.word) == reference.words.map(\.word))
        var worstTime = 0.0, worstProbability = 0.0
        for (a, b) in zip(words, reference.words) {
            worstTime = max(worstTime, abs(a.start - b.start), abs(a.end - b.end))
            worstProbability = max(worstProbability, abs(a.probability - b.probability))
        }
        print("openai find_alignment on tiny-random: max time diff", worstTime, "max probability diff", worstProbability)
        #expect(worstTime <= 0.02, "one encoder position")
        #expect(worstProbability <= 1e-4)
    }

    /// A config naming an alignment head the decoder does not have is refused at load, naming the file.
    @Test func alignmentHeadOutsideTheDecoderIsRefused() throws {
        let folder = try Fixtures.temporaryDirectory("loom-bad-heads")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Fixtures.url("whisper/tiny-random")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try Data(#"{"alignment_heads": [[1, 0], [5, 2]], "decoder_start_token_id": 3}"#.utf8)
            .write(to: folder.appendingPathComponent("generation_config.json"))
        do {
            _ = try WhisperModel(folder: folder)
            Issue.record("a head of layer 5 in a 2-layer decoder was accepted")
        } catch let error as WhisperError {
            #expect("\(error)".contains("alignment head [5, 2]") && "\(error)".contains(folder.lastPathComponent), "\(error)")
        }
    }

    struct WriterCase: Decodable {
        struct Options: Decodable { let max_line_width: Int?; let max_line_count: Int?; let highlight_words: Bool? }
        let clip: String
        let options: Options
        let srt: String
        let vtt: String
    }

    /// openai-whisper's WriteSRT / WriteVTT over faster-whisper's words, byte for byte.
    @Test func subtitleWritersMatchOpenAIWhisper() throws {
        let golden = try Self.golden("whisper-base")
        let cases = try JSONDecoder().decode([WriterCase].self, from: Data(contentsOf: Fixtures.url("words/writers.json")))
        for writerCase in cases {
            let clip = try #require(golden.clips[writerCase.clip])
            let segments = clip.segments.enumerated().map { index, s in
                TranscriptSegment(id: index, seek: 0, start: s.start, end: s.end, text: s.text, tokens: [], temperature: 0,
                                  avgLogprob: 0, compressionRatio: 1, noSpeechProb: 0,
                                  words: s.words.map { TranscriptWord(word: $0.word, start: $0.start, end: $0.end, probability: $0.probability) })
            }
            let transcript = Transcript(text: clip.text, segments: segments, language: "en")
            let options = SubtitleOptions(maxLineWidth: writerCase.options.max_line_width, maxLineCount: writerCase.options.max_line_count,
                                          highlightWords: writerCase.options.highlight_words ?? false)
            #expect(TranscriptFormat.srt(transcript, options: options) == writerCase.srt, "\(writerCase.clip) \(options)")
            #expect(TranscriptFormat.vtt(transcript, options: options) == writerCase.vtt, "\(writerCase.clip) \(options)")
        }
    }

    /// whisper.cpp's output_lrc layout: the header, then [mm:ss.xx] and the segment text.
    @Test func lrcWritesOneTimedLinePerSegment() {
        let segment = { (start: Double, text: String) in
            TranscriptSegment(id: 0, seek: 0, start: start, end: start + 1, text: text, tokens: [], temperature: 0,
                              avgLogprob: 0, compressionRatio: 1, noSpeechProb: 0)
        }
        let transcript = Transcript(text: "", segments: [segment(0, " Hello."), segment(8.067, " Two\nlines"), segment(3725.5, " Late")], language: "en")
        #expect(TranscriptFormat.lrc(transcript) == "[by:loom]\n[00:00.00] Hello.\n[00:08.06] Two lines\n[62:05.50] Late\n")
    }

    /// A model without cross-attention (the scripted fake) refuses word timestamps with a clear error.
    @Test func aModelWithoutCrossAttentionSaysSo() throws {
        let (specials, nVocab) = try DecodingFixtures.specials(multilingual: false)
        let tb = specials.timestampBegin
        let model = FakeWhisperModel(specials: specials, nVocab: nVocab, windows: [
            0: FakeWindow(tokens: [tb, 100, 101, tb + 100], boost: 25, noSpeechLogit: -5)])
        let decoding = WhisperDecoding(model: model, specials: specials, text: WordPerTokenText(), compressionRatio: { _ in 1 })
        var options = WhisperTranscribeOptions()
        options.temperatures = [0]
        options.wordTimestamps = true
        #expect(throws: WhisperDecodingError.invalidOptions("word timestamps need a model whose decoder exposes its cross-attention")) {
            _ = try WhisperTranscriber(decoding: decoding).transcribe(
                mel: TranscribeFakeModelTests.indexedMel(contentFrames: 3_000), options: options)
        }
    }
}
