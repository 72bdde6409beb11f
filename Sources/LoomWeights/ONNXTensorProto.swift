import Foundation

/// One ONNX TensorProto as stored: dims (1), data_type (2; FLOAT = 1, INT32 = 6, INT64 = 7),
/// float_data (4), int32_data (5), int64_data (7), name (8), raw_data (9, little-endian). A graph's initializers (`ONNXInitializers`)
/// and its Constant nodes (`ONNXConstant`) both hold one; this is the one place that reads it.
/// Reference: https://github.com/onnx/onnx/blob/v1.17.0/onnx/onnx.proto
struct ONNXTensorProto {
    var name = "", dims: [Int] = [], dataType = 0
    var raw: ArraySlice<UInt8>?, floats: [Float] = [], ints: [Int] = []

    init(_ bytes: ArraySlice<UInt8>, fail: (String) -> WeightFileError) throws {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .varint(let d)): dims.append(Int(truncatingIfNeeded: d))
            case (1, .bytes(let packed)): dims += try Self.packedVarints(packed)
            case (2, .varint(let t)): dataType = Int(truncatingIfNeeded: t)
            case (4, .fixed32(let bits)): floats.append(Float(bitPattern: bits))
            case (4, .bytes(let packed)): floats += try Self.littleEndianFloats(packed, fail: fail)
            // int32_data (5) and int64_data (7): a tensor holds one or the other, by its data type.
            case (5, .varint(let v)), (7, .varint(let v)): ints.append(Int(truncatingIfNeeded: v))
            case (5, .bytes(let packed)), (7, .bytes(let packed)): ints += try Self.packedVarints(packed)
            case (8, .bytes(let text)): name = String(decoding: text, as: UTF8.self)
            case (9, .bytes(let data)): raw = data
            default: continue
            }
        }
    }

    /// The float32 values, checked against the shape; `what` ("initializer", "constant") names the
    /// tensor in errors.
    func floatValues(_ what: String, fail: (String) -> WeightFileError) throws -> [Float] {
        let count = try elementCount(what, fail: fail)
        var values = floats
        if let raw {
            // Dividing the byte count, not multiplying the element count, which can overflow (found by fuzz-onnx).
            guard raw.count % 4 == 0, raw.count / 4 == count else { throw fail("\(what) \(name) holds \(raw.count) bytes for shape \(dims)") }
            values = try Self.littleEndianFloats(raw, fail: fail)
        }
        guard values.count == count else { throw fail("\(what) \(name) holds \(values.count) floats for shape \(dims)") }
        return values
    }

    /// The int64 (or, with `width` 4, int32) values, checked against the shape.
    func integerValues(_ what: String, width: Int = 8, fail: (String) -> WeightFileError) throws -> [Int] {
        let count = try elementCount(what, fail: fail)
        var values = ints
        if let raw {
            guard raw.count % width == 0, raw.count / width == count else { throw fail("\(what) \(name) holds \(raw.count) bytes for shape \(dims)") }
            values = stride(from: raw.startIndex, to: raw.endIndex, by: width).map { i in
                var bits: UInt64 = 0
                for b in 0..<width { bits |= UInt64(raw[i + b]) << (8 * UInt64(b)) }
                // Sign-extend from the stored width.
                return width == 8 ? Int(Int64(bitPattern: bits)) : Int(Int32(truncatingIfNeeded: bits))
            }
        }
        guard values.count == count else { throw fail("\(what) \(name) holds \(values.count) integers for shape \(dims)") }
        return values
    }

    private func elementCount(_ what: String, fail: (String) -> WeightFileError) throws -> Int {
        guard let count = checkedElementCount(dims) else { throw fail("\(what) \(name) has shape \(dims)") }
        return count
    }

    /// A packed repeated int64 (or int32) field.
    static func packedVarints(_ bytes: ArraySlice<UInt8>) throws -> [Int] {
        var reader = ProtobufReader(bytes)
        var values: [Int] = []
        while !reader.isAtEnd { values.append(Int(truncatingIfNeeded: try reader.readVarint())) }
        return values
    }

    /// A packed repeated float field, or raw little-endian float32 data.
    static func littleEndianFloats(_ bytes: ArraySlice<UInt8>, fail: (String) -> WeightFileError) throws -> [Float] {
        guard bytes.count % 4 == 0 else { throw fail("float_data of \(bytes.count) bytes") }
        return stride(from: bytes.startIndex, to: bytes.endIndex, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    /// An ONNX file's bytes; a file that cannot be read is named with the reason.
    static func fileBytes(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw WeightFileError(file: url.path, .cannotOpen(reason: error.localizedDescription))
        }
    }
}
