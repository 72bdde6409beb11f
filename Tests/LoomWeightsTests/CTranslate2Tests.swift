import Foundation
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

@Suite struct CTranslate2Tests {
    let url = Fixtures.url("weights/tiny-ct2.bin")

    /// Tolerance 0: f16 conversion is exact and int8 dequantization multiplies by 1/scale as
    /// CTranslate2's dequantize kernel and the Python reference do.
    @Test func variablesAndInt8DequantizationEqualTheReference() throws {
        let model = try CTranslate2Model(url: url)
        #expect(model.binaryVersion == 6)
        #expect(model.specName == "TestSpec")
        #expect(model.specRevision == 3)
        let manifest = try Manifest.load()
        #expect(model.tensorNames == manifest.ct2.map(\.name))
        for entry in manifest.ct2 {
            let tensor = try model.tensor(entry.name)
            #expect(tensor.shape == entry.shape)
            let diff = maxAbsDiff(tensor.data, try Fixtures.floats(entry.expected))
            print("ct2 \(entry.name) maxdiff", diff, "(tolerance 0)")
            #expect(diff == 0)
        }
        #expect(model.info("decoder/dense/weight")?.dtype == .int8)
        #expect(model.info("encoder/h")?.dtype == .float16)
        #expect(model.info("decoder/ids")?.dtype == .int32)
    }

    @Test func aliasesResolveToTheirTarget() throws {
        let model = try CTranslate2Model(url: url)
        #expect(model.aliases == ["decoder/projection/weight": "encoder/w"])
        #expect(try model.tensor("decoder/projection/weight") == (try model.tensor("encoder/w")))
        #expect(model.info("decoder/projection/weight")?.shape == [3, 4])
        #expect(!model.tensorNames.contains("decoder/projection/weight"))
        // Reading through the alias counts as using the target.
        let root = WeightScope(model, separator: "/")
        _ = try root.tensor("decoder/projection/weight")
        #expect(!root.unusedTensorNames.contains("encoder/w"))
        // Reading an int8 weight uses its scale too.
        _ = try root.scope("decoder").tensor("dense/weight", shape: [4, 8])
        #expect(Set(root.unusedTensorNames) == ["encoder/h", "decoder/ids"])
    }
}
