import LoomGeneration
import Testing

/// Each processor against transformers' LogitsProcessor of the same name, on the fixture's logits.
@Suite struct ProcessorReferenceTests {
    static let tolerance: Float = 1e-6

    /// The processors a case names, in transformers' generate() order.
    static func processors(_ p: ProcessorFixture.Case.Params) throws -> [any LogitsProcessor] {
        var chain: [any LogitsProcessor] = []
        if let v = p.repetition_penalty { chain.append(try RepetitionPenaltyProcessor(penalty: v)) }
        if let v = p.suppress_tokens { chain.append(SuppressTokensProcessor(tokens: v)) }
        if let v = p.begin_suppress_tokens {
            chain.append(SuppressTokensAtBeginProcessor(tokens: v, beginIndex: p.begin_index ?? 0))
        }
        if let v = p.temperature { chain.append(try TemperatureProcessor(temperature: v)) }
        if let v = p.top_k { chain.append(try TopKProcessor(k: v)) }
        if let v = p.top_p { chain.append(try TopPProcessor(p: v)) }
        if let v = p.min_p { chain.append(try MinPProcessor(minP: v)) }
        return chain
    }

    @Test func everyCaseMatchesTransformers() throws {
        let fixture = try ProcessorFixture.load()
        #expect(fixture.cases.count >= 15)
        var worst: Float = 0
        for testCase in fixture.cases {
            let chain = try Self.processors(testCase.params)
            #expect(!chain.isEmpty, "\(testCase.name) names no processor")
            for (row, expected) in testCase.outputs.enumerated() {
                var scores = unmasked(fixture.logits[row])
                for processor in chain { processor.process(&scores, history: fixture.histories[row]) }
                let d = expectSameScores(scores, unmasked(expected), tolerance: Self.tolerance, "\(testCase.name) row \(row)")
                worst = max(worst, d)
            }
        }
        print("logits processors maxdiff", worst, "tolerance", Self.tolerance)
    }

    /// The Sampler builds the same chain from its options as generate() does.
    @Test func samplerChainMatchesTransformersChain() throws {
        let fixture = try ProcessorFixture.load()
        for name in ["chain", "chain_no_min_p"] {
            let testCase = try #require(fixture.cases.first { $0.name == name })
            let p = testCase.params
            let options = SamplingOptions(
                temperature: p.temperature ?? 1, topK: p.top_k ?? 0, topP: p.top_p ?? 1, minP: p.min_p ?? 0,
                repetitionPenalty: p.repetition_penalty ?? 1, seed: 1)
            let sampler = try Sampler(options, suppressTokens: p.suppress_tokens ?? [])
            var worst: Float = 0
            for (row, expected) in testCase.outputs.enumerated() {
                let scores = try sampler.processed(unmasked(fixture.logits[row]), history: fixture.histories[row])
                worst = max(worst, expectSameScores(scores, unmasked(expected), tolerance: Self.tolerance, "\(name) row \(row)"))
            }
            print("sampler \(name) maxdiff", worst, "tolerance", Self.tolerance)
        }
    }

    @Test func filtersActuallyRemoveTokens() throws {
        // Guards against a fixture where every case is a no-op: top-k 5 must leave 5 tokens per row.
        let fixture = try ProcessorFixture.load()
        let topK = try #require(fixture.cases.first { $0.name == "top_k_5" })
        for row in topK.outputs { #expect(row.compactMap { $0 }.count == 5) }
    }

    @Test func mathHelpersMatchTorch() throws {
        let fixture = try ProcessorFixture.load()
        var worst: Float = 0
        for (row, logits) in fixture.logits.enumerated() {
            let x = unmasked(logits)
            #expect(LogitsMath.argmax(x) == fixture.argmax[row])
            worst = max(worst, expectSameScores(LogitsMath.logSoftmax(x), unmasked(fixture.log_softmax[row]), tolerance: 1e-5, "log_softmax \(row)"))
            let probs = LogitsMath.softmax(x)
            for i in probs.indices { worst = max(worst, abs(probs[i] - fixture.softmax[row][i])) }
        }
        print("softmax/log_softmax maxdiff", worst, "tolerance 1e-5")
        #expect(worst <= 1e-5)
    }

    @Test func argmaxTakesLowestIndexOnTies() {
        #expect(LogitsMath.argmax([1, 3, 3, -.infinity, 3]) == 1)
        #expect(LogitsMath.argmax([-.infinity, -.infinity, 0]) == 2)
        #expect(LogitsMath.argmax([]) == nil)
    }

    @Test func topKKeepsTiesWithTheKthValue() throws {
        var scores: [Float] = [1, 2, 2, 0, 2]
        try TopKProcessor(k: 2).process(&scores, history: [])
        #expect(scores == [-.infinity, 2, 2, -.infinity, 2])
    }

    /// Top-k on a large vocabulary with many duplicate values (both the one-pass and the sort path)
    /// keeps exactly the values >= the k-th largest.
    @Test func topKOnALargeVocabularyWithDuplicates() throws {
        var random = Xoshiro256StarStar(seed: 99)
        let logits = (0..<6000).map { _ in Float(random.next() % 500) / 10 }
        let descending = logits.sorted(by: >)
        for k in [1, 40, 700, 5999] {
            var scores = logits
            try TopKProcessor(k: k).process(&scores, history: [])
            let expected = logits.map { $0 >= descending[k - 1] ? $0 : -.infinity }
            #expect(scores == expected, "k \(k)")
        }
    }

    /// Tokens masked before top-p stay masked and do not change which others survive.
    @Test func topPIgnoresAlreadyMaskedTokens() throws {
        let fixture = try ProcessorFixture.load()
        let logits = unmasked(fixture.logits[0])
        var plain = logits
        try TopPProcessor(p: 0.8).process(&plain, history: [])
        var masked = logits
        let lowest = logits.indices.sorted { logits[$0] < logits[$1] }.prefix(20)
        for i in lowest { masked[i] = -.infinity }
        try TopPProcessor(p: 0.8).process(&masked, history: [])
        // The 20 lowest tokens carry little mass; top-p 0.8 removed them anyway, so results agree.
        #expect(lowest.allSatisfy { plain[$0] == -.infinity })
        #expect(masked == plain)
    }
}
