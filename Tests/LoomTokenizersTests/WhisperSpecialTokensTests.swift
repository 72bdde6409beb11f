import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Special ids and the suppression list equal openai-whisper's own tiktoken tokenizer (by token string).
@Suite struct WhisperSpecialTokensTests {
    @Test(arguments: ["whisper-tiny.en", "whisper-base"])
    func specialIDsMatchOpenAIWhisper(name: String) throws {
        guard let tokenizer = try TokenizerFixtures.whisper(name) else { return }
        let reference = try TokenizerFixtures.load("\(name).json", as: TokenizerFixtures.Whisper.self).openai_whisper
        let specials = try WhisperSpecialTokens(tokenizer: tokenizer)
        let mine: [String: Int] = [
            "<|endoftext|>": specials.endOfText, "<|startoftranscript|>": specials.startOfTranscript,
            "<|translate|>": specials.translate, "<|transcribe|>": specials.transcribe,
            "<|startoflm|>": specials.startOfLM, "<|startofprev|>": specials.startOfPrevious,
            "<|nospeech|>": specials.noSpeech, "<|notimestamps|>": specials.noTimestamps,
            "<|0.00|>": specials.timestampBegin, "<|30.00|>": specials.lastTimestamp,
        ]
        for (token, id) in reference.specials {
            #expect(mine[token] == id, "\(name) \(token)")
        }
        #expect(specials.timestampBegin == reference.timestamp_begin)
        #expect(specials.seconds(ofTimestamp: specials.lastTimestamp) == 30.0)
        #expect(specials.isTimestamp(specials.timestampBegin) && !specials.isTimestamp(specials.noTimestamps))
        for (code, id) in reference.languages {
            #expect(specials.languageIDs[code] == id, "\(name) language \(code)")
        }
        #expect(specials.isMultilingual == (name == "whisper-base"))
        if name == "whisper-base" {
            #expect(specials.languageCodes.count == reference.languages.count)
            #expect(specials.languageCodes.prefix(3) == ["en", "zh", "de"])
        }
        #expect(specials.nonSpeechTokens == reference.non_speech_tokens)
        // Timestamps are dropped before decoding, as openai-whisper's decode does.
        let hello = tokenizer.encode(" hello", addSpecialTokens: false)
        let withTimestamps = [specials.timestampBegin] + hello + [specials.timestampBegin + 50]
        #expect(try tokenizer.decode(specials.textTokens(withTimestamps)) == " hello")
        print("\(name): \(reference.specials.count) specials, \(reference.languages.count) languages, "
              + "\(specials.nonSpeechTokens.count) non-speech tokens equal to openai-whisper")
    }

    @Test(arguments: ["whisper-tiny.en", "whisper-base"])
    func promptsAndTimestampDecodingMatchOpenAIWhisper(name: String) throws {
        guard let tokenizer = try TokenizerFixtures.whisper(name) else { return }
        let fixture = try TokenizerFixtures.load("\(name).json", as: TokenizerFixtures.Whisper.self)
        let specials = try WhisperSpecialTokens(tokenizer: tokenizer)
        for item in fixture.sot_sequences {
            let task = WhisperTask(rawValue: item.task ?? "transcribe") ?? .transcribe
            #expect(try specials.startSequence(language: item.language, task: task) == item.sot_sequence)
            #expect(try specials.startSequence(language: item.language, task: task, timestamps: false) == item.including_notimestamps)
        }
        let timed = fixture.with_timestamps
        #expect(Array(try specials.decodeWithTimestamps(timed.ids, tokenizer: tokenizer).utf8) == Array(timed.decoded.utf8))
        #expect(Array(try tokenizer.decode(specials.textTokens(timed.ids)).utf8) == Array(timed.decoded_text.utf8))
        if specials.isMultilingual {
            #expect(throws: TokenizerError.self) { _ = try specials.startSequence(language: "xx") }
        } else {
            #expect(throws: TokenizerError.self) { _ = try specials.startSequence(language: "de") }
            #expect(throws: TokenizerError.self) { _ = try specials.startSequence(language: nil, task: .translate) }
        }
    }

    @Test func notAWhisperTokenizerIsAClearError() throws {
        guard let tokenizer = try TokenizerFixtures.smolLM() else { return }
        #expect {
            _ = try WhisperSpecialTokens(tokenizer: tokenizer)
        } throws: { error in
            "\(error)".contains("<|startoftranscript|>") && "\(error)".contains("not a Whisper tokenizer")
        }
    }
}
