import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// A seeded random tiny Whisper in Hugging Face layout (d_model 64, 2 + 2 layers, 4 heads, vocab 100)
/// against transformers' WhisperForConditionalGeneration (Scripts/reference/dump_whisper.py).
@Suite struct WhisperTinyRandomTests {
    static let tolerance: Float = 1e-4

    struct Reference: Decodable {
        struct Logits: Decodable { let prefix: [Int]; let shape: [Int] }
        let encoder: WhisperFixtures.Summary
        let logits: Logits
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("whisper/tiny-random.json")))
    }

    @Test func configFromHuggingFaceFolder() throws {
        let model = try WhisperModel(folder: WhisperFixtures.tinyRandomFolder)
        #expect(model.layout == .huggingFace)
        let c = model.config
        let encoderDims: [Int] = [c.melBins, c.audioContext, c.width, c.encoderHeads, c.encoderLayers, c.encoderFFN]
        #expect(encoderDims == [80, 1500, 64, 4, 2, 128])
        let decoderDims: [Int] = [c.vocabularySize, c.textContext, c.decoderHeads, c.decoderLayers, c.decoderFFN]
        #expect(decoderDims == [100, 32, 4, 2, 128])
        #expect(c.suppressTokenIDs == [4, 5] && c.suppressAtBeginTokenIDs == [2, 6])
    }

    @Test func encoderAndLogitsMatchTransformers() throws {
        let model = try WhisperModel(folder: WhisperFixtures.tinyRandomFolder)
        let reference = try Self.reference()
        let encoded = try model.encode(mel: WhisperFixtures.syntheticMel())
        #expect(encoded.shape == [1500, 64])
        let rows = WhisperFixtures.rows(encoded, every: 5)
        let encoderDiff = maxAbsDiff(rows, try Fixtures.floats("whisper/tiny-random-encoder-rows.f32"))
        print("whisper tiny-random encoder maxdiff", encoderDiff, "tolerance", Self.tolerance)
        #expect(encoderDiff <= Self.tolerance)
        #expect(abs(WhisperFixtures.sum(encoded.data) - reference.encoder.sum) < 0.05)

        var state = try model.makeDecoderState(encoderOutput: encoded)
        let logits = try model.decode([reference.logits.prefix], state: &state, allPositions: true)
        let expectedShape: [Int] = [1] + reference.logits.shape
        #expect(logits.shape == expectedShape)
        let logitsDiff = maxAbsDiff(logits.data, try Fixtures.floats("whisper/tiny-random-logits.f32"))
        print("whisper tiny-random logits maxdiff", logitsDiff, "tolerance", Self.tolerance)
        #expect(logitsDiff <= Self.tolerance)
    }

    /// Token-by-token decoding with the KV cache gives the logits of one full pass.
    @Test func incrementalDecodingEqualsFullPass() throws {
        let model = try WhisperModel(folder: WhisperFixtures.tinyRandomFolder)
        let prefix = try Self.reference().logits.prefix
        let encoded = try model.encode(mel: WhisperFixtures.syntheticMel())
        var full = try model.makeDecoderState(encoderOutput: encoded)
        let all = try model.decode([prefix], state: &full, allPositions: true)
        var stepwise = try model.makeDecoderState(encoderOutput: encoded)
        var worst: Float = 0
        // A two-token first chunk, then one token per step, as a prompt followed by generation.
        let first = try model.decode([Array(prefix[0..<2])], state: &stepwise, allPositions: true)
        worst = max(worst, maxAbsDiff(first.data, Array(all.data[0..<(2 * 100)])))
        for t in 2..<prefix.count {
            let step = try model.decode([[prefix[t]]], state: &stepwise)
            worst = max(worst, maxAbsDiff(step.data, Array(all.data[(t * 100)..<((t + 1) * 100)])))
        }
        #expect(stepwise.length == prefix.count)
        print("whisper incremental vs full maxdiff", worst, "tolerance 1e-5")
        #expect(worst <= 1e-5)
    }

    /// A batch of beams decodes each row as if alone; reorder(beams:) moves caches with their rows.
    @Test func batchAndReorderMatchSingleSequences() throws {
        let model = try WhisperModel(folder: WhisperFixtures.tinyRandomFolder)
        let encoded = try model.encode(mel: WhisperFixtures.syntheticMel())
        func single(_ tokens: [Int]) throws -> [Float] {
            var state = try model.makeDecoderState(encoderOutput: encoded)
            return try model.decode([tokens], state: &state).data
        }
        var state = try model.makeDecoderState(encoderOutput: encoded)
        _ = try model.decode([[3, 17]], state: &state)
        try state.reorder(beams: [0, 0, 0])  // expand the prompt into three beams
        #expect(state.batchSize == 3)
        _ = try model.decode([[42], [8], [77]], state: &state)
        try state.reorder(beams: [2, 0])  // keep beams 2 and 0, in that order
        let logits = try model.decode([[9], [10]], state: &state)
        #expect(logits.shape == [2, 1, 100])
        let d0 = maxAbsDiff(Array(logits.data[0..<100]), try single([3, 17, 77, 9]))
        let d1 = maxAbsDiff(Array(logits.data[100..<200]), try single([3, 17, 42, 10]))
        print("whisper batch/reorder vs single maxdiff", max(d0, d1), "tolerance 1e-5")
        #expect(max(d0, d1) <= 1e-5)
    }
}
