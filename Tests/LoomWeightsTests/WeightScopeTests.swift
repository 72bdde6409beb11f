import Foundation
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

@Suite struct WeightScopeTests {
    let url = Fixtures.url("weights/tiny.safetensors")

    @Test func prefixedLookupWithShapeCheck() throws {
        let root = WeightScope(try SafeTensorsFile(url: url))
        let layer = root.scope("layer")
        #expect(layer.fullName("f32") == "layer.f32")
        #expect(root.scope("blocks", 3).fullName("w") == "blocks.3.w")
        let tensor = try layer.tensor("f32", shape: [3, 4])
        #expect(tensor.shape == [3, 4])
        #expect(layer.contains("f16"))
        #expect(!layer.contains("bf16"))
    }

    @Test func wrongShapeNamesTensorExpectedActualAndFile() throws {
        let layer = WeightScope(try SafeTensorsFile(url: url)).scope("layer")
        let kind = expectWeightError(file: url) { _ = try layer.tensor("f32", shape: [384, 384]) }
        #expect(kind == .shapeMismatch(tensor: "layer.f32", expected: [384, 384], actual: [3, 4]))
        let missing = expectWeightError(file: url) { _ = try layer.tensor("q_proj.weight") }
        #expect(missing == .tensorNotFound("layer.q_proj.weight"))
        let all = expectWeightError(file: url) { try layer.requireAll(["f32", "a", "b"]) }
        #expect(all == .missingTensors(["layer.a", "layer.b"]))
    }

    @Test func verifyAllUsedReportsLeftovers() throws {
        let root = WeightScope(try SafeTensorsFile(url: url))
        _ = try root.scope("layer").tensor("f32")
        #expect(Set(root.unusedTensorNames) == ["layer.f16", "bf16"])
        #expect(root.scope("layer").unusedTensorNames == ["layer.f16"])
        let kind = expectWeightError(file: url) { try root.verifyAllUsed() }
        guard case .unusedTensors(let names) = kind else { Issue.record("got \(String(describing: kind))"); return }
        #expect(Set(names) == ["layer.f16", "bf16"])
        try root.verifyAllUsed(ignoring: { $0 == "bf16" || $0.hasSuffix("f16") })
        _ = try root.rawBytes("layer.f16", shape: [2, 5])
        _ = try root.tensor("bf16")
        try root.verifyAllUsed()
    }
}
