import Foundation
import LoomGeneration

/// Decodes one encoded 30-second window: openai-whisper's `DecodingTask.run` and `detect_language`
/// (https://github.com/openai/whisper/blob/main/whisper/decoding.py), over any `WhisperModelRunning`.
public struct WhisperDecoding<Model: WhisperModelRunning> {
    public let model: Model
    public let specials: WhisperDecodingTokens
    public let text: any WhisperTextDecoding
    /// whisper's `compression_ratio` (see `ZlibCompressionRatio`).
    public let compressionRatio: (String) -> Double

    public init(
        model: Model, specials: WhisperDecodingTokens, text: any WhisperTextDecoding,
        compressionRatio: @escaping (String) -> Double
    ) {
        self.model = model
        self.specials = specials
        self.text = text
        self.compressionRatio = compressionRatio
    }

    /// The most likely language and every language's probability, from one decoder step on
    /// `[<|startoftranscript|>]` with all non-language tokens masked.
    public func detectLanguage(_ audio: Model.EncodedAudio) throws -> (language: String, probabilities: [String: Double]) {
        guard specials.multilingual, !specials.languageTokens.isEmpty else { throw WhisperDecodingError.notMultilingual }
        var session = try model.startDecoding(audio, batch: 1)
        let logits = try checked(session.lastLogits(for: [[specials.sot]]), rows: 1)[0]
        var masked = [Float](repeating: -.infinity, count: logits.count)
        for token in specials.languageTokens.values where masked.indices.contains(token) { masked[token] = logits[token] }
        let normalizer = LogSoftmax.logNormalizer(masked)
        var probabilities: [String: Double] = [:]
        for (code, token) in specials.languageTokens where masked.indices.contains(token) {
            probabilities[code] = exp(Double(masked[token]) - normalizer)
        }
        let best = GreedyTokenDecoder.argmax(masked)
        let language = specials.languageTokens.first { $0.value == best }?.key ?? specials.languageCodes[0]
        return (language, probabilities)
    }

    /// Decodes one window with `options`; detects the language first when a multilingual model gets none.
    public func decode(_ audio: Model.EncodedAudio, options: WhisperDecodingOptions) throws -> WhisperDecodingResult {
        let plan = try WhisperDecodingPlan(specials: specials, options: options, nTextCtx: model.nTextCtx)
        var initial = plan.initialTokens
        var language = options.language ?? "en"
        var languageProbabilities: [String: Double]?
        if options.language == nil && specials.multilingual {
            let detected = try detectLanguage(audio)
            language = detected.language
            languageProbabilities = detected.probabilities
            initial[plan.sotIndex + 1] = specials.languageTokens[language] ?? initial[plan.sotIndex + 1]
        }

        var decoder = try tokenDecoder(for: plan.options)
        decoder.reset()
        var tokens = Array(repeating: initial, count: plan.groupSize)
        var sumLogprobs = [Float](repeating: 0, count: plan.groupSize)
        let noSpeechProb = try mainLoop(plan: plan, audio: audio, decoder: &decoder, tokens: &tokens, sumLogprobs: &sumLogprobs)

        let finalized = decoder.finalize(tokens: tokens, sumLogprobs: sumLogprobs)
        guard !finalized.candidates.isEmpty, finalized.candidates.count == finalized.sumLogprobs.count else {
            throw WhisperDecodingError.invalidOptions(
                "the token decoder returned \(finalized.candidates.count) candidates for \(finalized.sumLogprobs.count) scores")
        }
        let candidates = finalized.candidates.map { sequence -> [Int] in
            let sampled = sequence[min(plan.sampleBegin, sequence.count)...]
            return Array(sampled.prefix { $0 != specials.eot })
        }
        let best = MaximumLikelihoodRanker(lengthPenalty: options.lengthPenalty)
            .select(lengths: candidates.map(\.count), sumLogProbs: finalized.sumLogprobs) ?? 0
        let chosen = candidates[best]
        let decoded = text.decode(chosen.filter { $0 < specials.timestampBegin })
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return WhisperDecodingResult(
            language: language, languageProbabilities: languageProbabilities, tokens: chosen, text: decoded,
            avgLogprob: Double(finalized.sumLogprobs[best]) / Double(chosen.count + 1),
            noSpeechProb: noSpeechProb, temperature: options.temperature,
            compressionRatio: compressionRatio(decoded))
    }

    /// whisper's `_main_loop`: forward, filter, choose, until every sequence ended or the context is full.
    /// Returns the no-speech probability read at `<|startoftranscript|>` on the first forward pass.
    private func mainLoop(
        plan: WhisperDecodingPlan, audio: Model.EncodedAudio, decoder: inout any WhisperTokenDecoder,
        tokens: inout [[Int]], sumLogprobs: inout [Float]
    ) throws -> Double {
        var session = try model.startDecoding(audio, batch: plan.groupSize)
        var noSpeechProb = Double.nan
        for step in 0..<plan.sampleLength {
            var logits: [[Float]]
            if step == 0 {
                let positions = [plan.sotIndex, plan.sampleBegin - 1]
                let output = try session.logits(for: tokens, at: positions)
                guard output.count == tokens.count, output.allSatisfy({ $0.count == 2 }) else {
                    throw WhisperDecodingError.logitsShape(expected: "\(tokens.count) x 2 positions", got: "\(output.map(\.count))")
                }
                if let noSpeech = specials.noSpeech {
                    let atSot = try checked([output[0][0]], rows: 1)[0]
                    noSpeechProb = LogSoftmax.probability(atSot, at: noSpeech)
                }
                logits = output.map { $0[1] }
            } else {
                logits = try session.lastLogits(for: tokens.map { [$0[$0.count - 1]] })
            }
            logits = try checked(logits, rows: tokens.count)
            for k in logits.indices {
                for filter in plan.filters { filter.apply(&logits[k], tokens: tokens[k]) }
            }
            let update = try decoder.update(tokens: &tokens, logits: logits, sumLogprobs: &sumLogprobs)
            if let sources = update.sourceIndices { try session.reorder(sources) }
            if update.completed || tokens[0].count > model.nTextCtx { break }
        }
        return noSpeechProb
    }

    private func tokenDecoder(for options: WhisperDecodingOptions) throws -> any WhisperTokenDecoder {
        if let beamSize = options.beamSize {
            return try BeamTokenDecoder(beamSize: beamSize, patience: options.patience, eot: specials.eot)
        }
        return try GreedyTokenDecoder(temperature: options.temperature, eot: specials.eot, seed: options.seed)
    }

    private func checked(_ logits: [[Float]], rows: Int) throws -> [[Float]] {
        guard logits.count == rows, logits.allSatisfy({ $0.count == model.nVocab }), model.nVocab > specials.timestampBegin else {
            throw WhisperDecodingError.logitsShape(
                expected: "\(rows) x \(model.nVocab) (vocabulary above \(specials.timestampBegin))",
                got: "\(logits.count) x \(logits.first?.count ?? 0)")
        }
        return logits
    }
}
