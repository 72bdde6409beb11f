/// What openai-whisper's `DecodingTask.__init__` derives from the options before any model call
/// (https://github.com/openai/whisper/blob/main/whisper/decoding.py): the initial tokens, where
/// sampling begins, how many tokens to sample, and the logit filters in their order.
public struct WhisperDecodingPlan: Sendable {
    public let options: WhisperDecodingOptions
    /// Initial tokens: `[<|startofprev|>] + prompt + sot sequence + prefix`.
    public let initialTokens: [Int]
    public let sampleBegin: Int
    /// Index of `<|startoftranscript|>` in `initialTokens`.
    public let sotIndex: Int
    public let sampleLength: Int
    /// Sequences decoded together: beam size, best-of, or 1.
    public let groupSize: Int
    public let suppressTokens: [Int]
    public let maxInitialTimestampIndex: Int?
    public let filters: [any WhisperLogitFilter]

    /// Seconds per timestamp step: 30 s over the encoder's 1500 positions (every released model).
    public static let timePrecision = 30.0 / 1500.0

    public init(specials: WhisperDecodingTokens, options: WhisperDecodingOptions, nTextCtx: Int) throws {
        let options = try options.verified()
        self.options = options
        groupSize = options.beamSize ?? options.bestOf ?? 1
        sampleLength = options.sampleLength ?? nTextCtx / 2

        var sotSequence = try specials.sotSequence(language: options.language, task: options.task)
        if options.withoutTimestamps { sotSequence.append(specials.noTimestamps) }
        var tokens = sotSequence
        if !options.prefix.isEmpty {
            tokens += Self.pythonSuffix(options.prefix, from: -(nTextCtx / 2 - sampleLength))
        }
        if !options.prompt.isEmpty {
            tokens = [specials.sotPrev] + Self.pythonSuffix(options.prompt, from: -(nTextCtx / 2 - 1)) + tokens
        }
        initialTokens = tokens
        sampleBegin = tokens.count
        sotIndex = tokens.firstIndex(of: specials.sot) ?? 0

        suppressTokens = options.suppressTokens.isEmpty ? [] : Self.suppressTokens(options.suppressTokens, specials: specials)
        if options.withoutTimestamps {
            maxInitialTimestampIndex = nil
        } else if let seconds = options.maxInitialTimestamp, seconds != 0 {
            maxInitialTimestampIndex = Int((seconds / Self.timePrecision).rounded(.toNearestOrEven))
        } else {
            maxInitialTimestampIndex = nil
        }

        var filters: [any WhisperLogitFilter] = []
        if options.suppressBlank { filters.append(SuppressBlank(specials: specials, sampleBegin: sampleBegin)) }
        if !options.suppressTokens.isEmpty { filters.append(SuppressTokens(suppressTokens)) }
        if !options.withoutTimestamps {
            filters.append(ApplyTimestampRules(
                specials: specials, sampleBegin: sampleBegin, maxInitialTimestampIndex: maxInitialTimestampIndex))
        }
        self.filters = filters
    }

    /// whisper's `_get_suppress_tokens`: -1 expands to the non-speech symbols; the task, start and
    /// no-speech tokens are always added (no-speech probability is read separately).
    static func suppressTokens(_ requested: [Int], specials: WhisperDecodingTokens) -> [Int] {
        var result = requested
        if requested.contains(-1) {
            result = requested.filter { $0 >= 0 } + specials.nonSpeechTokens
        }
        result += [specials.transcribe, specials.translate, specials.sot, specials.sotPrev, specials.sotLM]
        if let noSpeech = specials.noSpeech { result.append(noSpeech) }
        return Array(Set(result)).sorted()
    }

    /// Python's `values[start:]` for a possibly negative `start` (so `from: 0` keeps everything).
    static func pythonSuffix(_ values: [Int], from start: Int) -> [Int] {
        let index = start < 0 ? max(0, values.count + start) : min(start, values.count)
        return Array(values[index...])
    }
}
