import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// Bad inputs give typed errors that say what is wrong, never a crash.
@Suite struct WhisperBadInputTests {
    static func model() throws -> WhisperModel { try WhisperModel(folder: WhisperFixtures.tinyRandomFolder) }

    @Test func wrongMelShapeIsRejected() throws {
        let model = try Self.model()
        for shape in [[128, 3000], [80, 2999], [80, 6000], [3000, 80]] {
            #expect(throws: WhisperError.melShape(expected: [80, 3000], actual: shape)) {
                try model.encode(mel: Tensor(zeros: shape))
            }
        }
        let message = WhisperError.melShape(expected: [80, 3000], actual: [128, 3000]).description
        #expect(message.contains("[128, 3000]") && message.contains("[80, 3000]"))
    }

    @Test func badDecoderInputsAreRejected() throws {
        let model = try Self.model()
        #expect(throws: WhisperError.encoderOutputShape(expected: [1500, 64], actual: [1500, 32])) {
            try model.makeDecoderState(encoderOutput: Tensor(zeros: [1500, 32]))
        }
        var state = try model.makeDecoderState(encoderOutput: Tensor(zeros: [1500, 64]))
        #expect(throws: WhisperError.tokenOutOfRange(token: 100, vocabularySize: 100)) {
            try model.decode([[3, 100]], state: &state)
        }
        #expect(throws: WhisperError.tokenOutOfRange(token: -1, vocabularySize: 100)) {
            try model.decode([[-1]], state: &state)
        }
        #expect(throws: WhisperError.self) { try model.decode([[]], state: &state) }
        #expect(throws: WhisperError.self) { try model.decode([[1], [2]], state: &state) }
        #expect(throws: WhisperError.sequenceTooLong(length: 33, limit: 32)) {
            try model.decode([Array(repeating: 5, count: 33)], state: &state)
        }
        #expect(state.length == 0)  // failed calls leave the state as it was
        _ = try model.decode([Array(repeating: 5, count: 32)], state: &state)  // exactly the limit is fine
        #expect(throws: WhisperError.sequenceTooLong(length: 33, limit: 32)) { try model.decode([[5]], state: &state) }
        #expect(throws: WhisperError.self) { try state.reorder(beams: [1]) }
        #expect(throws: WhisperError.self) { try state.reorder(beams: []) }
        try state.reset(batchSize: 2)
        #expect(state.length == 0 && state.batchSize == 2)
    }

    @Test func folderWithoutWeightsIsRejected() throws {
        let folder = try Fixtures.temporaryDirectory("whisper-empty")
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = try #require(throws: ModelRegistryError.self) { try WhisperModel(folder: folder) }
        #expect(error.description.contains(folder.path) && error.description.contains("model.bin") && error.description.contains("Whisper"))
    }

    /// A copy of the tiny model whose safetensors header lacks one tensor: the error names it and the file.
    @Test func missingTensorIsNamed() throws {
        let folder = try Fixtures.temporaryDirectory("whisper-missing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = WhisperFixtures.tinyRandomFolder
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        let missing = "model.decoder.layers.1.encoder_attn.v_proj.bias"
        try Self.writeSafeTensors(from: source.appendingPathComponent("model.safetensors"),
                                  to: folder.appendingPathComponent("model.safetensors"), dropping: missing)
        do {
            _ = try WhisperModel(folder: folder)
            Issue.record("loading a model without \(missing) succeeded")
        } catch let error as WeightFileError {
            print("missing tensor error:", error)
            // SafeTensorsCheckpoint reports the checkpoint folder as the file.
            #expect(error.description.contains(missing) && error.description.contains(folder.path))
        }
    }

    /// A bad config value (heads not dividing d_model) is a clear config error naming config.json.
    @Test func impossibleConfigIsRejected() throws {
        let folder = try Fixtures.temporaryDirectory("whisper-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = WhisperFixtures.tinyRandomFolder
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        json["encoder_attention_heads"] = 3
        try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("config.json"))
        #expect(throws: WhisperError.self) { try WhisperModel(folder: folder) }
        do { _ = try WhisperModel(folder: folder) } catch { #expect("\(error)".contains("config.json")) }
    }

    /// Rewrites a safetensors file without `name` (header entry removed, data section kept as is).
    static func writeSafeTensors(from: URL, to: URL, dropping name: String) throws {
        let data = try Data(contentsOf: from)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        header[name] = nil
        var newHeader = try JSONSerialization.data(withJSONObject: header)
        while newHeader.count % 8 != 0 { newHeader.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(newHeader.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(newHeader)
        out.append(data.subdata(in: (8 + headerLength)..<data.count))
        try out.write(to: to)
    }
}
