import Foundation
import LoomGeneration
import Testing

@Suite struct SamplerTests {
    @Test func xoshiroMatchesTheCReferenceTranscription() throws {
        let fixture = try ProcessorFixture.load()
        for stream in fixture.xoshiro {
            var random = Xoshiro256StarStar(seed: stream.seed)
            let outputs = (0..<stream.outputs.count).map { _ in String(random.next()) }
            #expect(outputs == stream.outputs, "seed \(stream.seed)")
        }
    }

    @Test func unitDoublesStayInRange() {
        var random = Xoshiro256StarStar(seed: 3)
        for _ in 0..<10_000 {
            let u = random.nextUnitDouble()
            #expect(u >= 0 && u < 1)
        }
    }

    @Test func greedyIsArgmaxAfterPenalty() throws {
        var sampler = try Sampler(SamplingOptions(temperature: 0))
        #expect(try sampler.next(logits: [0.5, 2, 2, -1], history: []) == 1)
        // A penalty of 2 halves token 1's logit (2 -> 1), so token 2 wins; greedy generate() applies it too.
        var penalized = try Sampler(SamplingOptions(temperature: 0, repetitionPenalty: 2))
        #expect(try penalized.next(logits: [0.5, 2, 1.5, -1], history: [1, 1]) == 2)
    }

    @Test func sameSeedSameTokensOtherSeedOtherTokens() throws {
        let fixture = try ProcessorFixture.load()
        let logits = unmasked(fixture.logits[1])  // the flat row: many plausible tokens
        func draws(seed: UInt64) throws -> [Int] {
            var sampler = try Sampler(SamplingOptions(temperature: 1, seed: seed))
            return try (0..<64).map { _ in try sampler.next(logits: logits, history: []) }
        }
        #expect(try draws(seed: 7) == draws(seed: 7))
        #expect(try draws(seed: 7) != draws(seed: 8))
    }

    /// Frequencies of 40 000 draws approach softmax(logits / T): each within 4.5 standard errors.
    @Test func drawsFollowTheSoftmax() throws {
        let logits: [Float] = [1.0, 0.0, -1.0, 2.0, 0.5, -.infinity]
        let temperature: Float = 1.5
        var sampler = try Sampler(SamplingOptions(temperature: temperature, seed: 2024))
        let n = 40_000
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<n { counts[try sampler.next(logits: logits, history: [])] += 1 }
        let expected = LogitsMath.softmax(logits.map { $0 / temperature })
        var worstZ = 0.0
        for i in logits.indices {
            let p = Double(expected[i])
            let observed = Double(counts[i]) / Double(n)
            let standardError = max((p * (1 - p) / Double(n)).squareRoot(), 1e-9)
            worstZ = max(worstZ, abs(observed - p) / standardError)
        }
        print("sampling frequencies: worst z-score", worstZ, "limit 4.5; counts", counts)
        #expect(counts[5] == 0, "a masked token was drawn")
        #expect(worstZ < 4.5)
    }

    @Test func truncationLimitsWhatCanBeDrawn() throws {
        let fixture = try ProcessorFixture.load()
        let logits = unmasked(fixture.logits[0])
        let top3 = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(3))
        var sampler = try Sampler(SamplingOptions(temperature: 2, topK: 3, seed: 5))
        var seen = Set<Int>()
        for _ in 0..<500 { seen.insert(try sampler.next(logits: logits, history: [])) }
        #expect(seen == top3)
        var nucleus = try Sampler(SamplingOptions(temperature: 1, topP: 0.0001, seed: 5))
        for _ in 0..<50 { #expect(try nucleus.next(logits: logits, history: []) == LogitsMath.argmax(logits)) }
    }

    @Test func badOptionsAreClearErrors() {
        #expect(throws: GenerationError.invalidTemperature(-0.5)) { try Sampler(SamplingOptions(temperature: -0.5)) }
        #expect(throws: GenerationError.invalidTemperature(.infinity)) { try Sampler(SamplingOptions(temperature: .infinity)) }
        #expect(throws: GenerationError.invalidTopK(-1)) { try Sampler(SamplingOptions(topK: -1)) }
        #expect(throws: GenerationError.invalidTopP(0)) { try Sampler(SamplingOptions(topP: 0)) }
        #expect(throws: GenerationError.invalidTopP(1.5)) { try Sampler(SamplingOptions(topP: 1.5)) }
        #expect(throws: GenerationError.invalidMinP(-0.1)) { try Sampler(SamplingOptions(minP: -0.1)) }
        #expect(throws: GenerationError.invalidMinP(2)) { try Sampler(SamplingOptions(minP: 2)) }
        #expect(throws: GenerationError.invalidRepetitionPenalty(0)) { try Sampler(SamplingOptions(repetitionPenalty: 0)) }
        #expect(throws: GenerationError.invalidTopK(0)) { try TopKProcessor(k: 0) }
        #expect(throws: GenerationError.invalidTemperature(0)) { try TemperatureProcessor(temperature: 0) }
        #expect(throws: GenerationError.self) { try TopPProcessor(p: .nan) }  // NaN != NaN, so match the type
        #expect(throws: GenerationError.self) { try MinPProcessor(minP: .nan) }
        #expect(throws: GenerationError.self) { try Sampler(SamplingOptions(temperature: .nan)) }
        #expect(GenerationError.invalidTopP(1.5).description.contains("(0, 1]"))
        #expect(GenerationError.invalidTemperature(-1).description.contains("0 for greedy"))
    }

    @Test func badLogitsAreClearErrors() throws {
        var sampler = try Sampler(SamplingOptions(temperature: 0.8, seed: 1))
        #expect(throws: GenerationError.emptyLogits) { try sampler.next(logits: [], history: []) }
        #expect(throws: GenerationError.self) { try sampler.next(logits: [0, .nan, 1], history: []) }
        #expect(throws: GenerationError.nonFiniteLogit(index: 0, value: .infinity)) {
            try sampler.next(logits: [.infinity, 0], history: [])
        }
        #expect(throws: GenerationError.allTokensMasked) {
            try sampler.next(logits: [-.infinity, -.infinity], history: [])
        }
        var suppressing = try Sampler(SamplingOptions(), suppressTokens: [0, 1])
        #expect(throws: GenerationError.allTokensMasked) { try suppressing.next(logits: [3, 4], history: []) }
        do {
            _ = try sampler.next(logits: [0, .nan], history: [])
        } catch {
            #expect("\(error)".contains("token 1"))
        }
    }
}
