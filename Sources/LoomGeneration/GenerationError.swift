import Foundation

/// Bad sampling settings or bad numbers from a model. Each message says which setting or input is
/// wrong and what to change, so `loom generate --top-p 2` fails with a sentence, not a crash.
public enum GenerationError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case invalidTemperature(Float)
    case invalidTopK(Int)
    case invalidTopP(Float)
    case invalidMinP(Float)
    case invalidRepetitionPenalty(Float)
    case invalidMaxTokens(Int)
    case invalidBeamSize(Int)
    case invalidPatience(Double)
    /// The model returned a logits row with no entries.
    case emptyLogits
    /// A logit is NaN or +infinity (a broken model or a numeric overflow upstream).
    case nonFiniteLogit(index: Int, value: Float)
    /// Every token is masked (-inf): nothing can be chosen.
    case allTokensMasked
    /// The model returned rows of a length different from the vocabulary seen before.
    case logitsCountMismatch(expected: Int, actual: Int)
    /// A generation needs at least one prompt token to condition on.
    case emptyPrompt
    /// Stop strings are checked on text, so the generator needs a detokenizer.
    case stopStringsNeedDetokenizer
    case emptyStopString
    /// Beam or greedy decoding got numbers of sequences, logits rows or scores that do not match.
    case batchShapeMismatch(String)

    public var description: String {
        switch self {
        case .invalidTemperature(let t):
            return "temperature \(t) is invalid: use 0 for greedy decoding or a positive value such as 0.7"
        case .invalidTopK(let k):
            return "top-k \(k) is invalid: use 0 to turn it off or a positive number of tokens such as 40"
        case .invalidTopP(let p):
            return "top-p \(p) is invalid: use a value in (0, 1], where 1 turns it off (e.g. 0.9)"
        case .invalidMinP(let p):
            return "min-p \(p) is invalid: use a value in [0, 1], where 0 turns it off (e.g. 0.05)"
        case .invalidRepetitionPenalty(let p):
            return "repetition penalty \(p) is invalid: use a positive value, 1 for none (e.g. 1.1)"
        case .invalidMaxTokens(let n):
            return "max tokens \(n) is invalid: ask for at least 1 new token"
        case .invalidBeamSize(let n):
            return "beam size \(n) is invalid: use 1 or more beams (Whisper's default is 5)"
        case .invalidPatience(let p):
            return "beam patience \(p) is invalid: use a positive value (1.0 is the default) so beam size x patience rounds to at least 1"
        case .emptyLogits:
            return "the model returned an empty logits row: the vocabulary size must be at least 1 (check the model's output head)"
        case .nonFiniteLogit(let index, let value):
            return "the model returned logit \(value) for token \(index): logits must be finite (or -inf for masked tokens); the model weights or inputs are broken"
        case .allTokensMasked:
            return "every token's logit is -inf, so no token can be chosen: suppress fewer tokens"
        case .logitsCountMismatch(let expected, let actual):
            return "the model returned \(actual) logits after \(expected) earlier: every step must cover the same vocabulary"
        case .emptyPrompt:
            return "the prompt has no tokens: give at least one token (e.g. the BOS token) to generate from"
        case .stopStringsNeedDetokenizer:
            return "stop strings are checked on decoded text: pass a detokenizer to the generator, or drop the stop strings"
        case .emptyStopString:
            return "a stop string is empty: remove it (an empty string would stop before the first token)"
        case .batchShapeMismatch(let what):
            return "decoding inputs do not match: \(what)"
        }
    }

    public var errorDescription: String? { description }
}
