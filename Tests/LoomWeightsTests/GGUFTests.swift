import Foundation
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

@Suite struct GGUFTests {
    let url = Fixtures.url("weights/tiny.gguf")

    /// The values Scripts/reference/dump_weights.py writes with gguf.GGUFWriter.
    @Test func metadataOfEveryType() throws {
        let file = try GGUFFile(url: url)
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        let m = file.metadata
        #expect(m["general.architecture"] == .string("loomtest"))
        #expect(m["test.uint8"] == .uint8(200))
        #expect(m["test.int8"] == .int8(-100))
        #expect(m["test.uint16"] == .uint16(60000))
        #expect(m["test.int16"] == .int16(-30000))
        #expect(m["test.uint32"] == .uint32(4_000_000_000))
        #expect(m["test.int32"] == .int32(-2_000_000_000))
        #expect(m["test.float32"] == .float32(0.15625))
        #expect(m["test.bool"] == .bool(true))
        #expect(m["test.string"] == .string("héllo wörld"))
        #expect(m["test.uint64"] == .uint64(1 << 63 + 5))
        #expect(m["test.int64"] == .int64(-(1 << 62)))
        #expect(m["test.float64"] == .float64(-1.0e300))
        #expect(m["test.array.int32"] == .array([.int32(1), .int32(-2), .int32(3)]))
        #expect(m["test.array.strings"]?.strings == ["a", "bc", ""])
        #expect(m["test.array.nested"] == .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        #expect(m["test.array.float32"] == .array([.float32(0.5), .float32(-1.5)]))
        #expect(m["test.array.bool"] == .array([.bool(true), .bool(false)]))
        #expect(m["test.uint8"]?.int == 200)
        #expect(m["test.uint64"]?.int == nil)  // does not fit in Int
        #expect(file.metadataKeys.first == "general.architecture")
    }

    /// Tolerance 0: dequantization does the reference's float operations in the same order.
    @Test func everyTensorTypeEqualsGGUFQuantsDequantize() throws {
        let file = try GGUFFile(url: url)
        let manifest = try Manifest.load()
        #expect(file.tensorNames == manifest.gguf.map(\.name))
        for entry in manifest.gguf {
            let ggml = try file.entry(entry.name)
            #expect(ggml.type.description == entry.type)
            #expect(ggml.info.shape == entry.shape)
            #expect(ggml.dimensions == entry.shape.reversed())
            let tensor = try file.tensor(entry.name)
            let diff = maxAbsDiff(tensor.data, try Fixtures.floats(entry.expected))
            print("gguf \(entry.name) maxdiff", diff, "(tolerance 0)")
            #expect(diff == 0, "\(entry.name)")
            let raw = try file.rawBytes(entry.name)
            let (blockElements, blockBytes) = ggml.type.blockLayout
            #expect(raw.count == tensor.count / blockElements * blockBytes)
        }
    }

    @Test func version2ReadsAndVersion1IsRefused() throws {
        var bytes = try fixtureBytes("tiny.gguf")
        bytes.replace(at: 4, le: UInt32(2))
        let v2 = try GGUFFile(url: temporaryFile(bytes, name: "v2.gguf"))
        #expect(v2.version == 2)
        #expect(v2.tensorNames.count == 9)
        bytes.replace(at: 4, le: UInt32(1))
        let v1 = try temporaryFile(bytes, name: "v1.gguf")
        let kind = expectWeightError(file: v1) { _ = try GGUFFile(url: v1) }
        #expect(kind == .unsupportedVersion(found: 1, supported: "GGUF 2 and 3"))
    }
}
