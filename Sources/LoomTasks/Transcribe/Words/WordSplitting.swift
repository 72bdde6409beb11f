import Foundation

/// Tokens grouped into words, as openai-whisper's `Tokenizer.split_to_word_tokens`
/// (https://github.com/openai/whisper/blob/main/whisper/tokenizer.py; faster-whisper's tokenizer.py is
/// the same): at spaces and punctuation for most languages, at every complete character for
/// languages written without spaces.
enum WordSplitting {
    /// whisper's list of languages that "don't typically use spaces" (faster-whisper adds "yue").
    static let languagesWithoutSpaces: Set<String> = ["zh", "ja", "th", "lo", "my", "yue"]
    /// Python's `string.punctuation`.
    static let asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

    static func split(_ tokens: [Int], language: String, eot: Int, text: any WhisperTextDecoding) -> [(word: String, tokens: [Int])] {
        languagesWithoutSpaces.contains(language)
            ? onUnicode(tokens, text: text)
            : onSpaces(tokens, eot: eot, text: text)
    }

    /// Cuts after every token at which the decoded text so far holds no broken character (U+FFFD)
    /// that the whole text does not hold at the same place: multi-byte characters split across
    /// tokens stay in one piece.
    static func onUnicode(_ tokens: [Int], text: any WhisperTextDecoding) -> [(word: String, tokens: [Int])] {
        let replacement: Unicode.Scalar = "\u{FFFD}"
        let full = Array(text.decode(tokens).unicodeScalars)
        var words: [(word: String, tokens: [Int])] = []
        var current: [Int] = []
        var offset = 0  // scalars of the words cut so far
        for token in tokens {
            current.append(token)
            let decoded = text.decode(current)
            let scalars = Array(decoded.unicodeScalars)
            let broken = scalars.firstIndex(of: replacement).map { $0 + offset }
            if broken == nil || (broken! < full.count && full[broken!] == replacement) {
                words.append((decoded, current))
                current = []
                offset += scalars.count
            }
        }
        return words
    }

    /// Pieces from `onUnicode` joined into words: a piece starts a new word when it is a special
    /// token, starts with a space, or is punctuation (`subword.strip() in string.punctuation`, a
    /// substring test, kept as whisper has it).
    static func onSpaces(_ tokens: [Int], eot: Int, text: any WhisperTextDecoding) -> [(word: String, tokens: [Int])] {
        var words: [(word: String, tokens: [Int])] = []
        for (piece, pieceTokens) in onUnicode(tokens, text: text) {
            let special = pieceTokens[0] >= eot
            let withSpace = piece.hasPrefix(" ")
            let punctuation = pythonContains(asciiPunctuation, piece.trimmingPythonWhitespace())
            if special || withSpace || punctuation || words.isEmpty {
                words.append((piece, pieceTokens))
            } else {
                words[words.count - 1].word += piece
                words[words.count - 1].tokens += pieceTokens
            }
        }
        return words
    }

    /// Python's `needle in haystack` for strings: the empty string is in every string.
    static func pythonContains(_ haystack: String, _ needle: String) -> Bool {
        needle.isEmpty || haystack.contains(needle)
    }
}

extension String {
    /// Python's `str.strip()`: whitespace trimmed at both ends.
    func trimmingPythonWhitespace() -> String {
        let scalars = Array(unicodeScalars)
        var low = 0, high = scalars.count
        while low < high && scalars[low].properties.isWhitespace { low += 1 }
        while high > low && scalars[high - 1].properties.isWhitespace { high -= 1 }
        var trimmed = String.UnicodeScalarView()
        trimmed.append(contentsOf: scalars[low..<high])
        return String(trimmed)
    }
}
