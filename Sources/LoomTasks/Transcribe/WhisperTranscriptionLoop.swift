import Foundation
import LoomFeatures
import LoomModels
import LoomTensor

/// openai-whisper's long-form `transcribe()` loop over a padded log-mel spectrogram
/// (https://github.com/openai/whisper/blob/main/whisper/transcribe.py): 30-second windows, temperature
/// fallback, silence skipping, segments split at timestamp pairs, seeking to the last timestamp, and
/// conditioning on previous text. The model enters only through the closures given to `run`, so the
/// loop itself is tested with scripted decode results.
public struct WhisperTranscriptionLoop {
    public let specials: WhisperDecodingTokens
    public let text: any WhisperTextDecoding
    public let options: WhisperTranscribeOptions
    /// The decoder's context length (448).
    public let nTextCtx: Int

    /// Mel frames per timestamp step (3000 frames over 1500 encoder positions).
    static let inputStride = LogMelSpectrogram.framesPerWindow / 1500
    static let timePrecision = Double(inputStride * LogMelSpectrogram.hopLength) / Double(LogMelSpectrogram.sampleRate)

    public init(specials: WhisperDecodingTokens, text: any WhisperTextDecoding, options: WhisperTranscribeOptions, nTextCtx: Int = 448) {
        self.specials = specials
        self.text = text
        self.options = options
        self.nTextCtx = nTextCtx
    }

    /// Transcribes `mel`, a (mel bins, frames) spectrogram computed with 30 s of padding
    /// (`LogMelSpectrogram.compute(samples, paddingSamples: 480000)`).
    /// - Parameters:
    ///   - encode: the encoder over one (mel bins, 3000) window, called once per window.
    ///   - decode: one decoding attempt of an encoded window (`WhisperDecoding.decode`).
    ///   - detectLanguage: language detection on an encoded window; nil for English-only models.
    ///   - progress: (frames done, content frames) after each window; an error it throws ends the run.
    ///   - segments: each window's new segments as soon as the window is decoded (a server streams
    ///     them); an error it throws ends the run.
    ///   - align: the decoder's alignment pass over an encoded window (tokens, content frames / 2),
    ///     needed when `options.wordTimestamps` is set.
    /// Run from a task, it checks for cancellation before each window and throws `CancellationError`.
    public func run<Encoded>(
        mel: Tensor,
        encode: (Tensor) throws -> Encoded,
        decode: (Encoded, WhisperDecodingOptions) throws -> WhisperDecodingResult,
        detectLanguage: ((Encoded) throws -> (language: String, probabilities: [String: Double]))?,
        progress: ((Int, Int) throws -> Void)? = nil,
        segments newSegments: (([TranscriptSegment]) throws -> Void)? = nil,
        align: ((Encoded, _ tokens: [Int], _ frames: Int) throws -> WhisperAlignmentPass)? = nil
    ) throws -> Transcript {
        guard mel.rank == 2 else { throw WhisperDecodingError.melShape(mel.shape) }
        let windowFrames = LogMelSpectrogram.framesPerWindow
        let contentFrames = max(0, mel.shape[1] - windowFrames)
        var decodeOptions = options.decoding
        if decodeOptions.language == nil {
            if specials.multilingual, let detectLanguage {
                let first = LogMelSpectrogram.window(of: mel, startFrame: 0)
                decodeOptions.language = try detectLanguage(encode(first)).language
            } else {
                decodeOptions.language = "en"
            }
        }
        let language = decodeOptions.language ?? "en"
        let sotSequence = try specials.sotSequence(language: language, task: decodeOptions.task)  // unknown language: fail before decoding
        if options.wordTimestamps && align == nil {
            throw WhisperDecodingError.invalidOptions("word timestamps need the decoder's alignment pass (align)")
        }
        let wordTimer = WordTimestamps(
            specials: specials, text: text, prependPunctuations: options.prependPunctuations,
            appendPunctuations: options.appendPunctuations)
        var lastSpeechTimestamp = 0.0

        var allTokens: [Int] = []
        var allSegments: [TranscriptSegment] = []
        var promptResetSince = 0
        var initialPromptTokens: [Int] = []
        if let prompt = options.initialPrompt {
            initialPromptTokens = text.encode(" " + prompt.trimmingCharacters(in: .whitespacesAndNewlines))
            allTokens += initialPromptTokens
        }

        var seek = 0
        while seek < contentFrames {
            try Task.checkCancellation()
            let timeOffset = Double(seek * LogMelSpectrogram.hopLength) / Double(LogMelSpectrogram.sampleRate)
            let segmentSize = min(windowFrames, contentFrames - seek)
            let segmentDuration = Double(segmentSize * LogMelSpectrogram.hopLength) / Double(LogMelSpectrogram.sampleRate)
            let encoded = try encode(LogMelSpectrogram.window(of: mel, startFrame: seek, frameCount: segmentSize))

            decodeOptions.prompt = Array(allTokens[promptResetSince...])
            let result = try decodeWithFallback(encoded, options: decodeOptions, decode: decode)
            let previousSeek = seek

            if let noSpeechThreshold = options.noSpeechThreshold {
                var shouldSkip = result.noSpeechProb > noSpeechThreshold
                if let logprobThreshold = options.logprobThreshold, result.avgLogprob > logprobThreshold {
                    shouldSkip = false  // confident text despite the no-speech probability
                }
                if shouldSkip {
                    seek += segmentSize
                    try progress?(min(contentFrames, seek), contentFrames)
                    continue
                }
            }

            let split = Self.splitSegments(result.tokens, timestampBegin: specials.timestampBegin, segmentDuration: segmentDuration)
            seek += split.seekAdvance ?? segmentSize
            var pieces = split.pieces.map { piece in
                SegmentPiece(start: timeOffset + piece.start, end: timeOffset + piece.end, tokens: piece.tokens)
            }
            if options.wordTimestamps, let align {
                _ = try wordTimer.add(to: &pieces, timeOffset: timeOffset, lastSpeechTimestamp: lastSpeechTimestamp, language: language) {
                    let tokens = wordTimer.alignmentTokens($0, sotSequence: sotSequence)
                    return (try align(encoded, tokens, segmentSize / 2), sotSequence.count)
                }
                // As transcribe.py: unless the window ended on a lone timestamp, go on from its last word.
                let n = result.tokens.count, begin = specials.timestampBegin
                let singleTimestampEnding = n >= 2 && result.tokens[n - 2] < begin && result.tokens[n - 1] >= begin
                let lastWordEnd = Self.lastEnd(pieces)
                if !singleTimestampEnding, let lastWordEnd, lastWordEnd > timeOffset {
                    seek = Int((lastWordEnd * Double(LogMelSpectrogram.sampleRate / LogMelSpectrogram.hopLength)).rounded(.toNearestOrEven))
                }
                if let lastWordEnd { lastSpeechTimestamp = lastWordEnd }
            }
            let windowStart = allSegments.count
            for piece in pieces {
                let start = piece.start, end = piece.end
                var tokens = piece.tokens
                var words = piece.words
                var segmentText = text.decode(tokens.filter { $0 < specials.eot })
                if start == end || segmentText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    segmentText = ""  // an instantaneous or textless segment keeps its times only
                    tokens = []
                    words = words.map { _ in [] }
                }
                allSegments.append(TranscriptSegment(
                    id: allSegments.count, seek: previousSeek, start: start, end: end, text: segmentText,
                    tokens: tokens, temperature: result.temperature, avgLogprob: result.avgLogprob,
                    compressionRatio: result.compressionRatio, noSpeechProb: result.noSpeechProb, words: words))
                allTokens += tokens
            }
            if !options.conditionOnPreviousText || result.temperature > 0.5 {
                promptResetSince = allTokens.count  // text sampled hot is no context for the next window
            }
            try newSegments?(Array(allSegments[windowStart...]))
            try progress?(min(contentFrames, seek), contentFrames)
        }

        let spoken = allTokens[initialPromptTokens.count...].filter { $0 < specials.timestampBegin }
        return Transcript(text: text.decode(Array(spoken)), segments: allSegments, language: language)
    }

    /// utils.py's `get_end`: the end of the last word, else of the last segment.
    static func lastEnd(_ pieces: [SegmentPiece]) -> Double? {
        pieces.reversed().lazy.compactMap { $0.words?.last?.end }.first ?? pieces.last?.end
    }

    /// whisper's `decode_with_fallback`: raise the temperature while the result is too repetitive or
    /// too improbable, unless it is silence. Beam size and patience apply at temperature 0 only,
    /// best-of above it.
    func decodeWithFallback<Encoded>(
        _ encoded: Encoded, options: WhisperDecodingOptions,
        decode: (Encoded, WhisperDecodingOptions) throws -> WhisperDecodingResult
    ) throws -> WhisperDecodingResult {
        var result: WhisperDecodingResult?
        for temperature in self.options.temperatures {
            var attempt = options
            attempt.temperature = temperature
            if temperature > 0 {
                attempt.beamSize = nil
                attempt.patience = nil
                attempt.bestOf = attempt.bestOf ?? self.options.bestOf
            } else {
                attempt.bestOf = nil
            }
            let current = try decode(encoded, attempt)
            result = current
            if !needsFallback(current) { break }
        }
        guard let result else { throw WhisperDecodingError.invalidOptions("no temperatures to decode with") }
        return result
    }

    func needsFallback(_ result: WhisperDecodingResult) -> Bool {
        var needsFallback = false
        if let threshold = options.compressionRatioThreshold, result.compressionRatio > threshold {
            needsFallback = true  // too repetitive
        }
        if let threshold = options.logprobThreshold, result.avgLogprob < threshold {
            needsFallback = true  // too improbable
        }
        if let noSpeech = options.noSpeechThreshold, result.noSpeechProb > noSpeech,
           let threshold = options.logprobThreshold, result.avgLogprob < threshold {
            needsFallback = false  // silence
        }
        return needsFallback
    }
}
