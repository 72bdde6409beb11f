import LoomGeneration
import Testing

/// Stopping a generation early: a cancelled task, or a callback that throws, ends the loop before
/// the next forward pass (counted on the stand-in model's calls).
@Suite struct GeneratorStoppingTests {
    struct Outcome: Sendable {
        var forwardPasses = 0
        var chunks = 0
        var chunksAfterStop = 0
        var error: (any Error)?
    }

    /// Generates up to 1000 tokens from a bigram model, calling `onChunk` with the chunk number.
    static func generate(_ onChunk: (Int) throws -> Void) -> Outcome {
        var outcome = Outcome()
        do {
            var generator = Generator(model: BigramModel(size: 12), sampler: try Sampler(.greedy), stop: StopRules(maxTokens: 1000))
            defer { outcome.forwardPasses = generator.model.calls.count }
            _ = try generator.generate(prompt: [1]) { _ in
                outcome.chunks += 1
                try onChunk(outcome.chunks)
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    @Test func cancellingTheTaskStopsBeforeTheNextToken() async throws {
        let outcome = await Task {
            Self.generate { chunk in
                if chunk == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }.value
        #expect(outcome.error is CancellationError, "\(String(describing: outcome.error))")
        #expect(outcome.chunks == 3, "no token after the one during which the task was cancelled")
        #expect(outcome.forwardPasses == 3, "the prompt and the passes for tokens 2 and 3, none after")
    }

    @Test func aTaskCancelledBeforeItStartsRunsNoPass() async throws {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return Self.generate { _ in }
        }
        let outcome = await task.value
        #expect(outcome.error is CancellationError)
        #expect(outcome.forwardPasses == 0 && outcome.chunks == 0)
    }

    @Test func aThrowingCallbackStopsWithItsError() throws {
        struct Enough: Error {}
        let outcome = Self.generate { chunk in
            if chunk == 2 { throw Enough() }
        }
        #expect(outcome.error is Enough)
        #expect(outcome.chunks == 2 && outcome.forwardPasses == 2, "no pass after the callback threw")
    }

    @Test func anUncancelledRunGoesToMaxTokens() throws {
        let outcome = Self.generate { _ in }
        #expect(outcome.error == nil && outcome.chunks == 1000)
    }
}
