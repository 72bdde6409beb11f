import Foundation
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

@Suite struct SafeTensorsTests {
    let url = Fixtures.url("weights/tiny.safetensors")

    /// Tolerance 0: F16/BF16 to F32 conversion is exact.
    @Test func valuesEqualTheSafetensorsPackage() throws {
        let file = try SafeTensorsFile(url: url)
        let manifest = try Manifest.load()
        #expect(Set(file.tensorNames) == Set(manifest.safetensors.map(\.name)))
        #expect(file.metadata == ["format": "pt", "note": "loom"])
        for entry in manifest.safetensors {
            let info = try #require(file.info(entry.name))
            #expect(info.shape == entry.shape)
            #expect(info.dtype.description == ["F32": "float32", "F16": "float16", "BF16": "bfloat16"][entry.dtype!])
            let tensor = try file.tensor(entry.name)
            #expect(tensor.shape == entry.shape)
            let diff = maxAbsDiff(tensor.data, try Fixtures.floats(entry.expected))
            print("safetensors \(entry.name) maxdiff", diff, "(tolerance 0)")
            #expect(diff == 0)
        }
        let raw = try file.rawBytes("layer.f16")
        #expect(raw.count == 20)
        #expect(raw.dtype == .float16)
    }

    @Test func checkpointFolderReadsSingleFileAndShards() throws {
        let folder = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: url, to: folder.appendingPathComponent("model.safetensors"))
        let single = try SafeTensorsCheckpoint(folder: folder)
        #expect(Set(single.tensorNames) == ["layer.f32", "layer.f16", "bf16"])

        let sharded = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: url, to: sharded.appendingPathComponent("model-00001-of-00001.safetensors"))
        let index = #"{"metadata": {}, "weight_map": {"layer.f32": "model-00001-of-00001.safetensors", "bf16": "model-00001-of-00001.safetensors"}}"#
        try Data(index.utf8).write(to: sharded.appendingPathComponent("model.safetensors.index.json"))
        let checkpoint = try SafeTensorsCheckpoint(folder: sharded)
        #expect(Set(checkpoint.tensorNames) == ["layer.f32", "bf16"])
        #expect(try checkpoint.tensor("layer.f32") == (try SafeTensorsFile(url: url).tensor("layer.f32")))

        let broken = #"{"weight_map": {"absent.weight": "model-00001-of-00001.safetensors"}}"#
        let indexURL = sharded.appendingPathComponent("model.safetensors.index.json")
        try Data(broken.utf8).write(to: indexURL)
        let kind = expectWeightError(file: indexURL) { _ = try SafeTensorsCheckpoint(folder: sharded) }
        #expect(kind == .missingTensors(["absent.weight"]))
        try Data(#"{"weight_map": {"x": "../elsewhere.safetensors"}}"#.utf8).write(to: indexURL)
        expectWeightError(file: indexURL) { _ = try SafeTensorsCheckpoint(folder: sharded) }
    }
}
