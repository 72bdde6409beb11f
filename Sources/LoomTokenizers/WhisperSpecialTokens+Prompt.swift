import Foundation

/// What Whisper is asked to do after the language token: X -> X transcription or X -> English translation.
public enum WhisperTask: String, Sendable, Codable, CaseIterable {
    case transcribe, translate
}

/// Prompt prefixes and timestamp-annotated decoding, as openai-whisper's whisper/tokenizer.py
/// builds them (`Tokenizer.__post_init__` sot_sequence, `decode_with_timestamps`).
extension WhisperSpecialTokens {
    /// `<|startoftranscript|>`, then for multilingual models the language and task tokens
    /// (openai-whisper's `sot_sequence`); `<|notimestamps|>` is appended when `timestamps` is false.
    /// English-only models take `<|startoftranscript|>` alone, as `get_tokenizer(multilingual=False)` does.
    public func startSequence(language: String?, task: WhisperTask = .transcribe, timestamps: Bool = true) throws -> [Int] {
        var sequence = [startOfTranscript]
        if isMultilingual {
            if let language {
                guard let id = languageIDs[language] else {
                    throw TokenizerError(.malformed, source: "Whisper tokenizer",
                                         "unknown language code '\(language)'; this model knows \(languageCodes.joined(separator: ", "))")
                }
                sequence.append(id)
            }
            sequence.append(task == .transcribe ? transcribe : translate)
        } else if let language, language != "en" {
            throw TokenizerError(.malformed, source: "Whisper tokenizer",
                                 "this English-only model cannot take language '\(language)'; use a multilingual Whisper model")
        } else if task == .translate {
            throw TokenizerError(.malformed, source: "Whisper tokenizer",
                                 "this English-only model cannot translate; use a multilingual Whisper model")
        }
        if !timestamps { sequence.append(noTimestamps) }
        return sequence
    }

    /// Text with special tokens and timestamps written out (`<|1.08|>`), openai-whisper's
    /// `decode_with_timestamps`; other ids decode as `tokenizer.decode` does.
    public func decodeWithTimestamps(_ ids: [Int], tokenizer: Tokenizer) throws -> String {
        var bytes: [UInt8] = []
        var run: [Int] = []
        func flush() throws {
            try tokenizer.appendBytes(run, skipSpecialTokens: false, to: &bytes)
            run.removeAll(keepingCapacity: true)
        }
        for id in ids {
            if isTimestamp(id) {
                try flush()
                bytes += Array("<|\(String(format: "%.2f", seconds(ofTimestamp: id)))|>".utf8)
            } else {
                run.append(id)
            }
        }
        try flush()
        return String(decoding: bytes, as: UTF8.self)
    }
}
