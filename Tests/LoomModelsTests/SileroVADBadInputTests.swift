import Foundation
import LoomMedia
import LoomModels
import LoomTestSupport
import LoomWeights
import Testing

/// Bad audio and bad weight files: clear errors, never a crash. Weight files are written here with
/// the model's names and shapes (all zeros), so these tests need no installed model.
@Suite struct SileroVADBadInputTests {
    private func writeWeights(_ tensors: [(name: String, shape: [Int])]) throws -> URL {
        let url = try Fixtures.temporaryDirectory("silero-vad").appendingPathComponent("silero_vad_16k.safetensors")
        try SileroVADSafeTensorsWriter.write(tensors, to: url)
        return url
    }

    /// All-zero weights load, and give exactly sigmoid(0) = 0.5 for every chunk.
    @Test func zeroWeightsLoadAndGiveOneHalf() throws {
        let url = try writeWeights(SileroVADSafeTensorsWriter.sileroShapes)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let model = try SileroVAD(contentsOf: url.deletingLastPathComponent())  // the folder form
        let audio = AudioBuffer(sampleRate: 16_000, samples: (0..<1000).map { sinf(Float($0) * 0.1) })
        #expect(try model.speechProbabilities(audio) == [0.5, 0.5])
    }

    @Test func otherSampleRatesAreRefused() throws {
        let url = try writeWeights(SileroVADSafeTensorsWriter.sileroShapes)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let model = try SileroVAD(contentsOf: url)
        for rate in [8_000, 32_000, 44_100, 48_000] {
            let audio = AudioBuffer(sampleRate: rate, samples: [Float](repeating: 0, count: rate))
            #expect(throws: SileroVADError.unsupportedSampleRate(rate)) { try model.speechSegments(audio) }
        }
        let message = SileroVADError.unsupportedSampleRate(8_000).description
        #expect(message.contains("8000 Hz") && message.contains("targetSampleRate"))
    }

    @Test func emptyAudioHasNoSegments() throws {
        let url = try writeWeights(SileroVADSafeTensorsWriter.sileroShapes)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let model = try SileroVAD(contentsOf: url)
        let empty = AudioBuffer(sampleRate: 16_000, samples: [])
        #expect(try model.speechProbabilities(empty).isEmpty)
        #expect(try model.speechSegments(empty).isEmpty)
    }

    @Test func wrongChunkLengthIsRefused() throws {
        let url = try writeWeights(SileroVADSafeTensorsWriter.sileroShapes)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        var stream = try SileroVAD(contentsOf: url).makeStream()
        #expect(throws: SileroVADError.wrongChunkLength(511)) { try stream.probability(of: [Float](repeating: 0, count: 511)) }
        #expect(throws: SileroVADError.wrongChunkLength(0)) { try stream.probability(of: []) }
    }

    /// NaN or infinite samples give NaN probabilities, which are never speech: no crash, no segment.
    @Test func nonFiniteSamplesGiveNoSpeech() throws {
        guard let model = try SileroVADTestSupport.model() else { return }
        let audio = AudioBuffer(sampleRate: 16_000, samples: [Float](repeating: .nan, count: 8_000) + [Float](repeating: .infinity, count: 8_000))
        #expect(try model.speechSegments(audio).isEmpty)
    }

    @Test func missingTensorIsNamed() throws {
        let url = try writeWeights(SileroVADSafeTensorsWriter.sileroShapes.filter { $0.name != "lstm_cell.bias_hh" })
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: WeightFileError.self) { try SileroVAD(contentsOf: url) }
        #expect(error.kind == .missingTensors(["lstm_cell.bias_hh"]))
        #expect(error.description.contains(url.path))
    }

    @Test func wrongShapeIsNamed() throws {
        let shapes = SileroVADSafeTensorsWriter.sileroShapes.map { $0.name == "conv2.weight" ? ($0.name, [64, 128, 5]) : $0 }
        let url = try writeWeights(shapes)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: WeightFileError.self) { try SileroVAD(contentsOf: url) }
        #expect(error.kind == .shapeMismatch(tensor: "conv2.weight", expected: [64, 128, 3], actual: [64, 128, 5]))
    }

    @Test func extraTensorIsNamed() throws {
        let url = try writeWeights(SileroVADSafeTensorsWriter.sileroShapes + [("decoder.extra.weight", [4])])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: WeightFileError.self) { try SileroVAD(contentsOf: url) }
        #expect(error.kind == .unusedTensors(["decoder.extra.weight"]))
    }

    /// Another model's weights (a Whisper-like name set) and a file that is not safetensors at all.
    @Test func notSileroWeights() throws {
        let url = try writeWeights([("encoder.conv1.weight", [4, 1, 3])])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: WeightFileError.self) { try SileroVAD(contentsOf: url) }
        guard case .missingTensors(let names) = error.kind else { Issue.record("unexpected \(error)"); return }
        #expect(names.count == 15 && names.contains("stft_conv.weight"))

        try Data("not a weight file at all".utf8).write(to: url)
        #expect(throws: WeightFileError.self) { try SileroVAD(contentsOf: url) }
        #expect(throws: WeightFileError.self) { try SileroVAD(contentsOf: url.deletingLastPathComponent().appendingPathComponent("absent")) }
    }
}
