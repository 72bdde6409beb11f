import LoomGeneration
import Testing

/// A deterministic stand-in model for testing the loop (not a result): the next-token logits depend
/// only on the last token, from a bigram table. It records how it was called.
struct BigramModel: NextTokenLogits {
    var table: [[Float]]
    var calls: [[Int]] = []
    var override: [Float]?

    /// Vocabulary of `size`; after token t the most likely next token is (t + 1) % size.
    init(size: Int) {
        table = (0..<size).map { t in (0..<size).map { $0 == (t + 1) % size ? 5 : Float(($0 * 7 + t) % 3) } }
    }

    mutating func logits(appending tokens: [Int]) throws -> [Float] {
        calls.append(tokens)
        if let override { return override }
        return table[tokens.last!]
    }
}

struct FailingModel: NextTokenLogits {
    struct Broken: Error {}
    mutating func logits(appending tokens: [Int]) throws -> [Float] { throw Broken() }
}

/// Token t decodes to "w<t> ", except token 9 which decodes to "END" (a stop string in some tests).
func wordFor(_ token: Int) -> String { token == 9 ? "END" : "w\(token) " }

@Suite struct GeneratorTests {
    @Test func greedyFollowsTheTableUntilMaxTokens() throws {
        var generator = Generator(model: BigramModel(size: 12), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 4))
        var streamed: [Int?] = []
        let result = try generator.generate(prompt: [3, 1]) { streamed.append($0.token) }
        #expect(result.tokens == [2, 3, 4, 5])
        #expect(streamed == [2, 3, 4, 5])
        #expect(result.finishReason == .maxTokens)
        #expect(result.text == nil)
        // The prompt in one pass, then one token at a time; no pass after the last token.
        #expect(generator.model.calls == [[3, 1], [2], [3], [4]])
        #expect(result.stats.promptTokens == 2)
        #expect(result.stats.generatedTokens == 4)
        #expect(result.stats.promptSeconds >= 0 && result.stats.decodeSeconds >= 0)
        #expect(result.stats.timeToFirstToken >= result.stats.promptSeconds)
        #expect(result.stats.decodeTokensPerSecond >= 0 && result.stats.promptTokensPerSecond >= 0)
    }

    @Test func endOfSequenceStopsAndIsNotReturned() throws {
        var generator = Generator(
            model: BigramModel(size: 12), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 50, eosTokenIDs: [11, 6]))
        let result = try generator.generate(prompt: [2])
        #expect(result.tokens == [3, 4, 5])
        #expect(result.finishReason == .endOfSequence(token: 6))
        #expect(result.stats.generatedTokens == 4)
    }

    @Test func stopStringCutsTextButKeepsItsToken() throws {
        var generator = Generator(
            model: BigramModel(size: 12), sampler: try Sampler(.greedy),
            stop: StopRules(maxTokens: 50, stopStrings: ["w8 EN"]))
        var detokenizer = ClosureDetokenizer(wordFor)
        var chunks: [GenerationChunk] = []
        let result = try generator.generate(prompt: [5], detokenizer: &detokenizer) { chunks.append($0) }
        #expect(result.tokens == [6, 7, 8, 9])
        #expect(result.finishReason == .stopString("w8 EN"))
        #expect(result.text == "w6 w7 ")
        #expect(chunks.map(\.text).joined() == result.text)
        #expect(chunks.map(\.text) == ["w6 ", "w7 ", "", ""])  // "w8 " is held: it could start the stop string
    }

    @Test func heldTextIsFlushedAtTheEnd() throws {
        var generator = Generator(
            model: BigramModel(size: 12), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 2, stopStrings: ["w2 x"]))
        var detokenizer = ClosureDetokenizer(wordFor)
        var chunks: [GenerationChunk] = []
        let result = try generator.generate(prompt: [0], detokenizer: &detokenizer) { chunks.append($0) }
        #expect(result.finishReason == .maxTokens)
        #expect(result.text == "w1 w2 ")
        #expect(chunks == [GenerationChunk(token: 1, text: "w1 "), GenerationChunk(token: 2, text: ""),
                           GenerationChunk(token: nil, text: "w2 ")])
    }

    @Test func seededSamplingRepeats() throws {
        func run(seed: UInt64) throws -> [Int] {
            var model = BigramModel(size: 12)
            model.table = model.table.map { row in row.map { $0 / 4 } }  // flatter, so sampling varies
            var generator = Generator(
                model: model, sampler: try Sampler(SamplingOptions(temperature: 1, seed: seed)), stop: StopRules(maxTokens: 30))
            return try generator.generate(prompt: [0]).tokens
        }
        #expect(try run(seed: 11) == run(seed: 11))
        #expect(try run(seed: 11) != run(seed: 12))
    }

    @Test func badInputsAreClearErrors() throws {
        var generator = Generator(model: BigramModel(size: 4), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 3))
        #expect(throws: GenerationError.emptyPrompt) { try generator.generate(prompt: []) }

        var zero = Generator(model: BigramModel(size: 4), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 0))
        #expect(throws: GenerationError.invalidMaxTokens(0)) { try zero.generate(prompt: [1]) }

        var needsText = Generator(
            model: BigramModel(size: 4), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 3, stopStrings: ["x"]))
        #expect(throws: GenerationError.stopStringsNeedDetokenizer) { try needsText.generate(prompt: [1]) }

        var nanModel = BigramModel(size: 4)
        nanModel.override = [0, .nan, 1, 2]
        var nan = Generator(model: nanModel, sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 3))
        #expect(throws: GenerationError.self) { try nan.generate(prompt: [1]) }

        var emptyModel = BigramModel(size: 4)
        emptyModel.override = []
        var empty = Generator(model: emptyModel, sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 3))
        #expect(throws: GenerationError.emptyLogits) { try empty.generate(prompt: [1]) }

        var failing = Generator(model: FailingModel(), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 3))
        #expect(throws: FailingModel.Broken.self) { try failing.generate(prompt: [1]) }

        var callbackFails = Generator(model: BigramModel(size: 4), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 3))
        #expect(throws: FailingModel.Broken.self) { try callbackFails.generate(prompt: [1]) { _ in throw FailingModel.Broken() } }
    }

    @Test func vocabularyChangingMidwayIsAnError() throws {
        struct Shrinking: NextTokenLogits {
            var step = 0
            mutating func logits(appending tokens: [Int]) throws -> [Float] {
                step += 1
                return step == 1 ? [0, 1, 2] : [0, 1]
            }
        }
        var generator = Generator(model: Shrinking(), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 5))
        #expect(throws: GenerationError.logitsCountMismatch(expected: 3, actual: 2)) { try generator.generate(prompt: [0]) }
    }
}
