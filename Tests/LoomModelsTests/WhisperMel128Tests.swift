import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// The large-v3 / large-v3-turbo path: 128 mel bins and fewer decoder than encoder layers, on a seeded
/// random tiny Whisper in Hugging Face layout against transformers (Scripts/reference/dump_whisper_128.py).
@Suite struct WhisperMel128Tests {
    @Test func encoderAndLogitsMatchTransformers() throws {
        let model = try WhisperModel(folder: Fixtures.url("whisper/tiny-random-128"))
        let c = model.config
        let dims: [Int] = [c.melBins, c.width, c.encoderLayers, c.decoderLayers, c.encoderHeads]
        #expect(dims == [128, 48, 3, 1, 3])
        let reference = try JSONDecoder().decode(WhisperTinyRandomTests.Reference.self,
                                                 from: Data(contentsOf: Fixtures.url("whisper/tiny-random-128.json")))
        let encoded = try model.encode(mel: WhisperFixtures.syntheticMel(bins: 128))
        #expect(encoded.shape == [1500, 48])
        let encoderDiff = maxAbsDiff(WhisperFixtures.rows(encoded, every: 5), try Fixtures.floats("whisper/tiny-random-128-encoder-rows.f32"))
        print("whisper tiny-random-128 encoder maxdiff", encoderDiff, "tolerance", WhisperTinyRandomTests.tolerance)
        #expect(encoderDiff <= WhisperTinyRandomTests.tolerance)
        var state = try model.makeDecoderState(encoderOutput: encoded)
        let logits = try model.decode([reference.logits.prefix], state: &state, allPositions: true)
        let expectedShape: [Int] = [1] + reference.logits.shape
        #expect(logits.shape == expectedShape)
        let logitsDiff = maxAbsDiff(logits.data, try Fixtures.floats("whisper/tiny-random-128-logits.f32"))
        print("whisper tiny-random-128 logits maxdiff", logitsDiff, "tolerance", WhisperTinyRandomTests.tolerance)
        #expect(logitsDiff <= WhisperTinyRandomTests.tolerance)
        // An 80-bin input is refused, naming the bins the model needs.
        #expect(throws: (any Error).self) { try model.encode(mel: WhisperFixtures.syntheticMel(bins: 80)) }
    }
}
