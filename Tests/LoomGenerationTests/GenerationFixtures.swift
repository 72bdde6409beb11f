import Foundation
import LoomGeneration
import LoomTestSupport
import Testing

/// Tests/Fixtures/generation/*.json, written by Scripts/reference/dump_generation.py. Masked (-inf)
/// entries are JSON nulls.
struct ProcessorFixture: Decodable {
    struct Case: Decodable {
        struct Params: Decodable {
            var repetition_penalty: Float?
            var temperature: Float?
            var top_k: Int?
            var top_p: Float?
            var min_p: Float?
            var suppress_tokens: [Int]?
            var begin_suppress_tokens: [Int]?
            var begin_index: Int?
        }
        var name: String
        var params: Params
        var outputs: [[Float?]]
    }
    struct RandomStream: Decodable {
        var seed: UInt64
        var outputs: [String]
    }
    var vocab: Int
    var logits: [[Float?]]
    var histories: [[Int]]
    var cases: [Case]
    var argmax: [Int]
    var log_softmax: [[Float?]]
    var softmax: [[Float]]
    var xoshiro: [RandomStream]

    static func load() throws -> ProcessorFixture {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: Fixtures.url("generation/processors.json")))
    }
}

struct BeamFixture: Decodable {
    struct Finished: Decodable {
        var tokens: [Int]
        var sum_logprob: Float
    }
    struct Step: Decodable {
        var tokens: [[Int]]
        var sum_logprobs: [Float]
        var logits: [[Float]]
        var next_tokens: [[Int]]
        var next_sum_logprobs: [Float]
        var source_indices: [Int]
        var completed: Bool
        var finished: [Finished]
    }
    struct Ranking: Decodable {
        var length_penalty: Double?
        var selected: Int
    }
    struct Case: Decodable {
        var name: String
        var beam_size: Int
        var patience: Double?
        var eot: Int
        var sample_begin: Int
        var steps: [Step]
        var final: [Finished]
        var rankings: [Ranking]
    }
    struct GreedyStep: Decodable {
        var tokens: [[Int]]
        var sum_logprobs: [Float]
        var logits: [[Float]]
        var next_tokens: [[Int]]
        var next_sum_logprobs: [Float]
        var completed: Bool
    }
    struct Greedy: Decodable {
        var eot: Int
        var steps: [GreedyStep]
        var final: [[Int]]
    }
    var greedy: Greedy
    var cases: [Case]

    static func load() throws -> BeamFixture {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: Fixtures.url("generation/beam_search.json")))
    }
}

/// JSON null -> -inf.
func unmasked(_ row: [Float?]) -> [Float] { row.map { $0 ?? -.infinity } }

/// Same -inf positions, and finite entries within `tolerance`; returns the max abs diff measured.
@discardableResult
func expectSameScores(
    _ actual: [Float], _ expected: [Float], tolerance: Float, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Float {
    #expect(actual.count == expected.count, "\(label): length", sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return .infinity }
    let actualMask = actual.map { $0 == -.infinity }
    let expectedMask = expected.map { $0 == -.infinity }
    #expect(actualMask == expectedMask, "\(label): -inf mask differs", sourceLocation: sourceLocation)
    var worst: Float = 0
    for i in actual.indices where !actualMask[i] && !expectedMask[i] {
        worst = max(worst, abs(actual[i] - expected[i]))
    }
    #expect(worst <= tolerance, "\(label): max abs diff \(worst) > \(tolerance)", sourceLocation: sourceLocation)
    return worst
}

/// maxAbsDiff that reports a length mismatch as infinity instead of stopping the test run.
func safeMaxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    a.count == b.count ? maxAbsDiff(a, b) : .infinity
}
