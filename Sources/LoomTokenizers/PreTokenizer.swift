/// Splits text into the words BPE merges within. Each step is one of the regexes real
/// vocabularies were trained with, written as a hand scanner over Unicode scalars that finds the
/// same matches as the regex engine (leftmost alternative first, greedy, with the backtracking
/// `\s+(?!\S)` needs). Steps apply in order, each splitting the pieces of the previous one, as
/// tokenizers' `Sequence` pre-tokenizer and llama.cpp's `regex_exprs` lists do.
public enum PreTokenizerStep: Sendable, Equatable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3
    /// tokenizers' `Digits`: numbers apart from the rest, one digit per piece when `individual`.
    case digits(individual: Bool)

    /// The regex source as tokenizer.json files and transformers spell it, to recognise `Split` steps.
    public static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    public static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The steps llama.cpp applies for a GGUF `tokenizer.ggml.pre` name (src/llama-vocab.cpp,
    /// `llm_tokenizer_bpe`), nil for names Loom does not know.
    public static func steps(forGGUFPre name: String) -> [PreTokenizerStep]? {
        switch name {
        case "gpt2", "default", "gpt-2", "phi-2", "jina-es", "jina-de", "olmo", "jais", "trillion":
            return [.gpt2]
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "dbrx", "smaug-bpe":
            return [.llama3]
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            return [.digits(individual: true), .gpt2]
        default:
            return nil
        }
    }
}

/// A run of scalars `[start, end)` inside the text being split.
struct ScalarRange {
    var start: Int
    var end: Int
}

enum PreTokenizerScanner {
    /// Applies `steps` to `text[range]`, appending the final pieces to `pieces`.
    static func split(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ range: ScalarRange,
                      steps: ArraySlice<PreTokenizerStep>, into pieces: inout [ScalarRange]) {
        guard let step = steps.first else {
            if range.end > range.start { pieces.append(range) }
            return
        }
        let rest = steps.dropFirst()
        var position = range.start
        while position < range.end {
            let end: Int
            switch step {
            case .gpt2: end = gpt2Match(text, position, range.end)
            case .llama3: end = llama3Match(text, position, range.end)
            case .digits(let individual): end = digitsMatch(text, position, range.end, individual: individual)
            }
            split(text, ScalarRange(start: position, end: end), steps: rest, into: &pieces)
            position = end
        }
    }

    @inline(__always)
    static func kind(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, _ end: Int) -> CharacterClass? {
        index < end ? CharacterClass.of(text[index]) : nil
    }

    /// End of the run of `kind` characters starting at `index`.
    @inline(__always)
    static func run(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, _ end: Int, _ kind: CharacterClass) -> Int {
        var i = index
        while i < end, CharacterClass.of(text[i]) == kind { i += 1 }
        return i
    }

    /// Length of the contraction (`'s`, `'re`...) at `index`, 0 if none.
    static func contraction(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard text[index] == "'", index + 1 < end else { return 0 }
        func letter(_ i: Int) -> Unicode.Scalar? {
            guard i < end else { return nil }
            let c = text[i]
            guard caseInsensitive else { return c }
            // Oniguruma folds case with Unicode rules: 'ſ' (U+017F) folds to 's'.
            if c == "\u{17F}" { return "s" }
            if c.value >= 65 && c.value <= 90 { return Unicode.Scalar(c.value + 32) }
            return c
        }
        switch letter(index + 1) {
        case "s", "t", "m", "d": return 2
        case "r": return letter(index + 2) == "e" ? 3 : 0
        case "v": return letter(index + 2) == "e" ? 3 : 0
        case "l": return letter(index + 2) == "l" ? 3 : 0
        default: return 0
        }
    }

    /// The end of `\s+(?!\S)|\s+` at a whitespace character: a run followed by a non-space gives
    /// its last whitespace to the next word.
    static func whitespaceMatch(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, _ end: Int) -> Int {
        let runEnd = run(text, index, end, .whitespace)
        if runEnd < end && runEnd - index > 1 { return runEnd - 1 }
        return runEnd
    }

    static func gpt2Match(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, _ end: Int) -> Int {
        let contractionLength = contraction(text, index, end, caseInsensitive: false)
        if contractionLength > 0 { return index + contractionLength }
        let first = CharacterClass.of(text[index])
        // ` ?X+` for X in letters, numbers, other.
        var start = index
        var kind = first
        if text[index] == " ", let next = self.kind(text, index + 1, end), next != .whitespace {
            start = index + 1
            kind = next
        }
        if kind != .whitespace { return run(text, start, end, kind) }
        return whitespaceMatch(text, index, end)
    }

    static func llama3Match(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, _ end: Int) -> Int {
        let contractionLength = contraction(text, index, end, caseInsensitive: true)
        if contractionLength > 0 { return index + contractionLength }
        let first = CharacterClass.of(text[index])
        let c = text[index]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if first == .letter { return run(text, index, end, .letter) }
        if first != .number && c != "\r" && c != "\n", kind(text, index + 1, end) == .letter {
            return run(text, index + 1, end, .letter)
        }
        // `\p{N}{1,3}`
        if first == .number {
            var i = index + 1
            while i < end, i - index < 3, CharacterClass.of(text[i]) == .number { i += 1 }
            return i
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = -1
        if first == .other { start = index } else if c == " ", kind(text, index + 1, end) == .other { start = index + 1 }
        if start >= 0 {
            var i = run(text, start, end, .other)
            while i < end, text[i] == "\r" || text[i] == "\n" { i += 1 }
            return i
        }
        // `\s*[\r\n]+`: up to and including the last line break in the whitespace run.
        let runEnd = run(text, index, end, .whitespace)
        var lastBreak = -1
        for i in index..<runEnd where text[i] == "\r" || text[i] == "\n" { lastBreak = i }
        if lastBreak >= 0 { return lastBreak + 1 }
        return whitespaceMatch(text, index, end)
    }

    static func digitsMatch(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ index: Int, _ end: Int, individual: Bool) -> Int {
        if CharacterClass.of(text[index]) == .number {
            return individual ? index + 1 : run(text, index, end, .number)
        }
        var i = index + 1
        while i < end, CharacterClass.of(text[i]) != .number { i += 1 }
        return i
    }
}
