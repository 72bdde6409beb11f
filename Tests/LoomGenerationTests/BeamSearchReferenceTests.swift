import LoomGeneration
import Testing

/// BeamSearchDecoder against openai-whisper's BeamSearchDecoder.update / finalize and
/// MaximumLikelihoodRanker.rank, driven on the same fixed logits (Scripts/reference/dump_generation.py).
@Suite struct BeamSearchReferenceTests {
    static let tolerance: Float = 1e-5

    @Test func stepsFinalizeAndRankingMatchWhisper() throws {
        let fixture = try BeamFixture.load()
        #expect(fixture.cases.count == 4)
        var worst: Float = 0
        for testCase in fixture.cases {
            var decoder = try BeamSearchDecoder(beamSize: testCase.beam_size, eot: testCase.eot, patience: testCase.patience)
            var tokens = try #require(testCase.steps.first).tokens
            var sums = try #require(testCase.steps.first).sum_logprobs
            for (index, step) in testCase.steps.enumerated() {
                let label = "\(testCase.name) step \(index)"
                // Feed back our own beams: a divergence shows up at the first step that differs.
                #expect(tokens == step.tokens, "\(label): input beams")
                let result = try decoder.update(tokens: tokens, logits: step.logits, sumLogProbs: sums)
                #expect(result.tokens == step.next_tokens, "\(label): next beams")
                #expect(result.sourceIndices == step.source_indices, "\(label): source indices")
                #expect(result.completed == step.completed, "\(label): completed")
                worst = max(worst, safeMaxAbsDiff(result.sumLogProbs, step.next_sum_logprobs))
                #expect(decoder.finished.map(\.tokens) == step.finished.map(\.tokens), "\(label): finished")
                worst = max(worst, safeMaxAbsDiff(decoder.finished.map(\.sumLogProb), step.finished.map(\.sum_logprob)))
                tokens = result.tokens
                sums = result.sumLogProbs
            }
            let final = decoder.finalize(tokens: tokens, sumLogProbs: sums)
            #expect(final.map(\.tokens) == testCase.final.map(\.tokens), "\(testCase.name): finalize")
            worst = max(worst, safeMaxAbsDiff(final.map(\.sumLogProb), testCase.final.map(\.sum_logprob)))
            for ranking in testCase.rankings {
                let ranker = MaximumLikelihoodRanker(lengthPenalty: ranking.length_penalty)
                let selected = ranker.select(candidates: final, sampleBegin: testCase.sample_begin, eot: testCase.eot)
                #expect(selected == ranking.selected, "\(testCase.name): ranking with penalty \(String(describing: ranking.length_penalty))")
            }
        }
        print("beam search sum log-prob maxdiff", worst, "tolerance", Self.tolerance)
        #expect(worst <= Self.tolerance)
    }

    /// WhisperGreedyDecoder against whisper's GreedyDecoder at temperature 0.
    @Test func greedyStepsMatchWhisper() throws {
        let greedy = try BeamFixture.load().greedy
        var decoder = try WhisperGreedyDecoder(temperature: 0, eot: greedy.eot)
        var tokens = try #require(greedy.steps.first).tokens
        var sums = try #require(greedy.steps.first).sum_logprobs
        var worst: Float = 0
        for (index, step) in greedy.steps.enumerated() {
            #expect(tokens == step.tokens, "greedy step \(index): input")
            let result = try decoder.update(tokens: tokens, logits: step.logits, sumLogProbs: &sums)
            #expect(result.tokens == step.next_tokens, "greedy step \(index): tokens")
            #expect(result.completed == step.completed, "greedy step \(index): completed")
            worst = max(worst, safeMaxAbsDiff(sums, step.next_sum_logprobs))
            tokens = result.tokens
        }
        #expect(decoder.finalize(tokens: tokens) == greedy.final)
        print("whisper greedy sum log-prob maxdiff", worst, "tolerance", Self.tolerance)
        #expect(worst <= Self.tolerance)
        var sampling = try WhisperGreedyDecoder(temperature: 0.5, eot: greedy.eot, seed: 3)
        var scores: [Float] = [0]
        let sampled = try sampling.update(tokens: [[1]], logits: [greedy.steps[0].logits[0]], sumLogProbs: &scores)
        #expect(sampled.tokens[0].count == 2 && scores[0] < 0)
        #expect(throws: GenerationError.invalidTemperature(-1)) { try WhisperGreedyDecoder(temperature: -1, eot: 0) }
        #expect(throws: GenerationError.self) { try decoder.update(tokens: [[1]], logits: [], sumLogProbs: &scores) }
    }

    @Test func patienceRoundsHalfToEvenLikePython() throws {
        #expect(try BeamSearchDecoder(beamSize: 2, eot: 0, patience: 1.25).maxCandidates == 2)
        #expect(try BeamSearchDecoder(beamSize: 3, eot: 0, patience: 1.5).maxCandidates == 4)
        #expect(try BeamSearchDecoder(beamSize: 5, eot: 0, patience: 0).maxCandidates == 5)
        #expect(try BeamSearchDecoder(beamSize: 5, eot: 0).maxCandidates == 5)
    }

    @Test func rankerLengthPenalties() {
        let ranker = MaximumLikelihoodRanker()
        // -6/3 = -2 beats -5/2 = -2.5 once divided by length.
        #expect(ranker.select(lengths: [2, 3], sumLogProbs: [-5, -6]) == 1)
        // ((5+2)/6)^0 = 1: raw sums compare.
        #expect(MaximumLikelihoodRanker(lengthPenalty: 0).select(lengths: [2, 3], sumLogProbs: [-5, -6]) == 0)
        #expect(ranker.select(lengths: [0], sumLogProbs: [-1]) == 0)
        #expect(ranker.select(lengths: [], sumLogProbs: []) == nil)
        #expect(ranker.select(lengths: [1], sumLogProbs: []) == nil)
    }

    @Test func badBeamInputsAreErrors() throws {
        #expect(throws: GenerationError.invalidBeamSize(0)) { try BeamSearchDecoder(beamSize: 0, eot: 1) }
        #expect(throws: GenerationError.invalidPatience(-1)) { try BeamSearchDecoder(beamSize: 2, eot: 1, patience: -1) }
        #expect(throws: GenerationError.invalidPatience(0.1)) { try BeamSearchDecoder(beamSize: 2, eot: 1, patience: 0.1) }
        var decoder = try BeamSearchDecoder(beamSize: 2, eot: 1)
        #expect(throws: GenerationError.self) {
            try decoder.update(tokens: [[0]], logits: [[0, 1]], sumLogProbs: [0])
        }
        #expect(throws: GenerationError.nonFiniteLogit(index: 1, value: .infinity)) {
            try decoder.update(tokens: [[0], [0]], logits: [[0, 1, 2], [0, .infinity, 2]], sumLogProbs: [0, 0])
        }
        #expect(throws: GenerationError.emptyLogits) {
            try decoder.update(tokens: [[0], [0]], logits: [[], []], sumLogProbs: [0, 0])
        }
        let error = GenerationError.invalidBeamSize(0)
        #expect(error.description.contains("beam size 0"))
    }
}
