import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// Copies a fixture model folder into a temporary one, letting a test change the tensors or config.
struct ModelFolderCopy {
    let url: URL

    init(_ family: String, config edit: (inout [String: Any]) -> Void = { _ in },
         tensors change: (inout [(name: String, tensor: Tensor)]) -> Void = { _ in }) throws {
        let source = Fixtures.url("\(family)/tiny-random")
        url = try Fixtures.temporaryDirectory("loom-\(family)")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: url.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("preprocessor_config.json"), to: url.appendingPathComponent("preprocessor_config.json"))
        let file = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var tensors = try file.tensorNames.map { (name: $0, tensor: try file.tensor($0)) }
        change(&tensors)
        try Self.writeSafeTensors(tensors, to: url.appendingPathComponent("model.safetensors"))
    }

    /// A minimal float32 safetensors writer: 8-byte header length, JSON header, raw data.
    static func writeSafeTensors(_ tensors: [(name: String, tensor: Tensor)], to url: URL) throws {
        var header: [String: Any] = [:]
        var body = Data()
        for (name, tensor) in tensors {
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [body.count, body.count + 4 * tensor.count]]
            tensor.data.withUnsafeBytes { body.append(contentsOf: $0) }
        }
        var json = try JSONSerialization.data(withJSONObject: header)
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(body)
        try file.write(to: url)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The message of the error `body` throws ("" when it does not throw).
func errorMessage(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return ""
}

@Suite("CLIP and SigLIP loading and input errors")
struct CLIPSigLIPErrorTests {
    @Test func missingTensorNamesTensorAndFile() throws {
        let folder = try ModelFolderCopy("clip", tensors: { $0.removeAll { $0.name == "vision_model.encoder.layers.1.mlp.fc2.bias" } })
        defer { folder.remove() }
        let message = errorMessage { _ = try CLIPModel(folder: folder.url) }
        print(message)
        #expect(message.contains("vision_model.encoder.layers.1.mlp.fc2.bias"))
        #expect(message.contains("model.safetensors"))
    }

    @Test func misshapenTensorNamesShapes() throws {
        let folder = try ModelFolderCopy("siglip", tensors: { tensors in
            let i = tensors.firstIndex { $0.name == "vision_model.head.attention.in_proj_weight" }!
            tensors[i].tensor = Tensor(zeros: [32, 32])
        })
        defer { folder.remove() }
        let message = errorMessage { _ = try SigLIPModel(folder: folder.url) }
        print(message)
        #expect(message.contains("vision_model.head.attention.in_proj_weight") && message.contains("[96, 32]"))
    }

    @Test func leftoverTensorIsReported() throws {
        let folder = try ModelFolderCopy("siglip", tensors: { $0.append((name: "vision_model.extra.weight", tensor: Tensor(zeros: [2]))) })
        defer { folder.remove() }
        let message = errorMessage { _ = try SigLIPModel(folder: folder.url) }
        #expect(message.contains("vision_model.extra.weight") && message.contains("not used"))
    }

    @Test func configErrorsNameFileAndField() throws {
        let wrongType = try ModelFolderCopy("clip") { $0["model_type"] = "siglip" }
        defer { wrongType.remove() }
        let typeMessage = errorMessage { _ = try CLIPModel(folder: wrongType.url) }
        #expect(typeMessage.contains("config.json") && typeMessage.contains("\"siglip\""))

        let badHeads = try ModelFolderCopy("siglip") { config in
            var vision = config["vision_config"] as! [String: Any]
            vision["num_attention_heads"] = 5
            config["vision_config"] = vision
        }
        defer { badHeads.remove() }
        let headsMessage = errorMessage { _ = try SigLIPModel(folder: badHeads.url) }
        print(headsMessage)
        #expect(headsMessage.contains("config.json") && headsMessage.contains("vision_config.num_attention_heads"))

        let badActivation = try ModelFolderCopy("clip") { config in
            var text = config["text_config"] as! [String: Any]
            text["hidden_act"] = "swish"
            config["text_config"] = text
        }
        defer { badActivation.remove() }
        let activationMessage = errorMessage { _ = try CLIPModel(folder: badActivation.url) }
        print(activationMessage)
        #expect(activationMessage.contains("config.json") && activationMessage.contains("hidden_act"))

        let empty = try Fixtures.temporaryDirectory("loom-empty")
        defer { try? FileManager.default.removeItem(at: empty) }
        let missing = errorMessage { _ = try CLIPModel(folder: empty) }
        #expect(missing.contains(empty.path) && missing.contains("config.json") && missing.contains("\"clip\""))
    }

    @Test func badInputsThrowClearErrors() throws {
        let clip = try CLIPModel(folder: Fixtures.url("clip/tiny-random"))
        let siglip = try SigLIPModel(folder: Fixtures.url("siglip/tiny-random"))
        #expect(throws: EncoderError.wrongImageShape(got: [3, 64, 64], expected: [3, 32, 32])) {
            try clip.imageEmbedding(pixelValues: Tensor(zeros: [3, 64, 64]))
        }
        #expect(throws: EncoderError.wrongImageShape(got: [2, 3, 32, 32], expected: [3, 32, 32])) {
            try siglip.imageEmbedding(pixelValues: Tensor(zeros: [2, 3, 32, 32]))
        }
        #expect(throws: EncoderError.emptyTokenSequence) { try clip.textEmbedding(ids: []) }
        #expect(throws: EncoderError.sequenceTooLong(count: 17, maxPositions: 16)) {
            try siglip.textEmbedding(ids: Array(repeating: 1, count: 17))
        }
        #expect(throws: EncoderError.tokenOutOfRange(id: 100, position: 1, vocabularySize: 100)) {
            try clip.textEmbedding(ids: [98, 100, 99])
        }
        #expect(throws: EncoderError.tokenOutOfRange(id: -1, position: 0, vocabularySize: 100)) {
            try siglip.textEmbedding(ids: [-1])
        }
    }
}
