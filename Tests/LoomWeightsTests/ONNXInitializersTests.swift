import Foundation
import LoomWeights
import Testing

/// The ONNX initializer reader (Sources/LoomWeights/ONNXInitializers.swift) on hand-built models:
/// both ways a float tensor can be stored, and every malformed file with an error naming it.
@Suite struct ONNXInitializersTests {
    // Protobuf wire format: https://protobuf.dev/programming-guides/encoding/
    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
        return out
    }
    static func field(_ number: Int, varint value: UInt64) -> [UInt8] { varint(UInt64(number << 3)) + varint(value) }
    static func field(_ number: Int, bytes: [UInt8]) -> [UInt8] {
        varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes
    }
    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }
    /// A TensorProto: dims, data type, name, and the values as raw_data or packed float_data.
    static func tensor(_ name: String, dims: [UInt64], type: UInt64 = 1, values: [Float], raw: Bool) -> [UInt8] {
        dims.flatMap { field(1, varint: $0) } + field(2, varint: type) + field(8, bytes: Array(name.utf8))
            + (raw ? field(9, bytes: floats(values)) : field(4, bytes: floats(values)))
    }
    static func model(_ tensors: [[UInt8]]) -> [UInt8] {
        field(1, varint: 8)  // ir_version
            + field(7, bytes: tensors.flatMap { field(5, bytes: $0) } + field(2, bytes: Array("graph".utf8)))
    }

    @Test func readsRawAndPackedFloatInitializers() throws {
        let bytes = Self.model([
            Self.tensor("model.a", dims: [2, 3], values: [1, 2, 3, 4, 5, -6.5], raw: true),
            Self.tensor("model.b", dims: [1], values: [0.25], raw: false),
        ])
        let source = try ONNXInitializers(bytes: bytes, path: "tiny.onnx")
        #expect(source.tensorNames == ["model.a", "model.b"])
        let a = try source.tensor("model.a")
        #expect(a.shape == [2, 3] && a.data == [1, 2, 3, 4, 5, -6.5])
        #expect(try source.tensor("model.b").data == [0.25])
        #expect(source.info("model.a")?.dtype == .float32)
        #expect(source.info("missing") == nil)
        #expect(throws: WeightFileError.self) { try source.tensor("missing") }
    }

    @Test func malformedFilesAreNamedAndRefused() {
        let good = Self.model([Self.tensor("w", dims: [4], values: [1, 2, 3, 4], raw: true)])
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated", Array(good.prefix(good.count - 3))),
            ("random bytes", (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }),
            ("int64 initializer", Self.model([Self.tensor("w", dims: [4], type: 7, values: [1, 2, 3, 4], raw: true)])),
            ("shape and data disagree", Self.model([Self.tensor("w", dims: [5], values: [1, 2, 3, 4], raw: true)])),
            // Found by fuzz-onnx: 2^62 elements passed the shape check and overflowed `count * 4`.
            ("element count whose byte size overflows", Self.model([Self.tensor("w", dims: [1 << 62], values: [1, 2, 3, 4], raw: true)])),
            ("duplicate name", Self.model([Self.tensor("w", dims: [1], values: [1], raw: true),
                                           Self.tensor("w", dims: [1], values: [2], raw: true)])),
        ]
        for (label, bytes) in cases {
            do {
                _ = try ONNXInitializers(bytes: bytes, path: "/models/\(label).onnx")
                Issue.record("\(label): accepted")
            } catch {
                let message = "\(error)"
                print("onnx \(label): \(message)")
                #expect(message.contains("/models/\(label).onnx"), "\(label): \(message)")
            }
        }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: WeightFileError.self) {
            try ONNXInitializers(url: URL(fileURLWithPath: "/nonexistent/silero.onnx"))
        }
    }
}
