extension WhisperDecodingTokens {
    /// openai-whisper's `Tokenizer.non_speech_tokens`
    /// (https://github.com/openai/whisper/blob/main/whisper/tokenizer.py): tokens of speaker tags and
    /// annotations (♪, brackets, quotes) that the default `suppress_tokens="-1"` forbids, keeping basic
    /// punctuation. `encode` is the plain BPE encoder; a symbol counts when it is a single token (alone
    /// or after a space), except the musical symbols, whose first token is always taken.
    public static func nonSpeechTokens(encode: (String) -> [Int]) -> [Int] {
        var symbols = ##""#()*+/:;<=>@[\]^_`{|}~「」『』"##.map(String.init)
        symbols += #"<< >> <<< >>> -- --- -( -[ (' (" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪"#
            .split(separator: " ").map(String.init)
        let miscellaneous = "♩♪♫♬♭♮♯".map(String.init)  // U+2640...U+267F: safe to cut after the first token

        var result = Set<Int>()
        // Hyphens and apostrophes stay allowed inside words, not at a word's start.
        for text in [" -", " '"] { if let first = encode(text).first { result.insert(first) } }
        for symbol in symbols + miscellaneous {
            for tokens in [encode(symbol), encode(" " + symbol)] {
                if let first = tokens.first, tokens.count == 1 || miscellaneous.contains(symbol) {
                    result.insert(first)
                }
            }
        }
        return result.sorted()
    }
}
