import Foundation
import LoomTensor

/// The float32 weights of an ONNX model: the initializers of its top-level graph, by name.
///
/// Only what a weights reader needs: ModelProto.graph (field 7) -> GraphProto.initializer (field 5)
/// -> TensorProto dims (1), data_type (2, FLOAT = 1), float_data (4) or raw_data (9, little-endian),
/// name (8). The graph's operators are not read: the model code is Loom's own.
/// Reference: https://github.com/onnx/onnx/blob/v1.17.0/onnx/onnx.proto
public final class ONNXInitializers: WeightSource {
    public let path: String
    public let tensorNames: [String]
    private let tensors: [String: Tensor]

    public convenience init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw WeightFileError(file: url.path, .cannotOpen(reason: error.localizedDescription))
        }
        try self.init(bytes: [UInt8](data), path: url.path)
    }

    public init(bytes: [UInt8], path: String) throws {
        self.path = path
        func fail(_ what: String) -> WeightFileError { WeightFileError(file: path, .malformedHeader("not an ONNX model: \(what)")) }
        var names: [String] = [], tensors: [String: Tensor] = [:]
        do {
            var model = ProtobufReader(bytes[...])
            var sawGraph = false
            while let (field, value) = try model.next() {
                guard field == 7, let graphBytes = value.data else { continue }
                sawGraph = true
                var graph = ProtobufReader(graphBytes)
                while let (field, value) = try graph.next() {
                    guard field == 5, let tensorBytes = value.data else { continue }
                    let (name, tensor) = try Self.tensor(tensorBytes, fail: fail)
                    guard tensors[name] == nil else { throw fail("initializer \(name) appears twice") }
                    names.append(name)
                    tensors[name] = tensor
                }
            }
            guard sawGraph else { throw fail("no graph") }
        } catch let failure as ProtobufReader.Failure {
            switch failure {
            case .truncated(let why), .malformed(let why): throw fail(why)
            }
        }
        tensorNames = names
        self.tensors = tensors
    }

    /// One TensorProto: its name and float32 values in its shape.
    private static func tensor(_ bytes: ArraySlice<UInt8>, fail: (String) -> WeightFileError) throws -> (String, Tensor) {
        var reader = ProtobufReader(bytes)
        var dims: [Int] = [], name = "", dataType = 0
        var raw: ArraySlice<UInt8>?, floats: [Float] = []
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .varint(let d)): dims.append(Int(truncatingIfNeeded: d))
            case (1, .bytes(let packed)):  // packed repeated int64
                var inner = ProtobufReader(packed)
                while !inner.isAtEnd { dims.append(Int(truncatingIfNeeded: try inner.readVarint())) }
            case (2, .varint(let t)): dataType = Int(truncatingIfNeeded: t)
            case (4, .fixed32(let bits)): floats.append(Float(bitPattern: bits))
            case (4, .bytes(let packed)):  // packed repeated float
                guard packed.count % 4 == 0 else { throw fail("float_data of \(packed.count) bytes") }
                floats += littleEndianFloats(packed)
            case (8, .bytes(let text)): name = String(decoding: text, as: UTF8.self)
            case (9, .bytes(let data)): raw = data
            default: continue
            }
        }
        guard dataType == 1 else { throw fail("initializer \(name) has data type \(dataType); Loom reads FLOAT (1) only") }
        guard let count = checkedElementCount(dims) else { throw fail("initializer \(name) has shape \(dims)") }
        if let raw {
            // Dividing the byte count, not multiplying the element count, which can overflow (found by fuzz-onnx).
            guard raw.count % 4 == 0, raw.count / 4 == count else { throw fail("initializer \(name) holds \(raw.count) bytes for shape \(dims)") }
            floats = littleEndianFloats(raw)
        }
        guard floats.count == count else { throw fail("initializer \(name) holds \(floats.count) floats for shape \(dims)") }
        return (name, Tensor(shape: dims, data: floats))
    }

    private static func littleEndianFloats(_ bytes: ArraySlice<UInt8>) -> [Float] {
        var out = [Float](repeating: 0, count: bytes.count / 4)
        var i = bytes.startIndex
        for k in out.indices {
            let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            out[k] = Float(bitPattern: bits)
            i += 4
        }
        return out
    }

    public func info(_ name: String) -> TensorInfo? {
        tensors[name].map { TensorInfo(name: name, shape: $0.shape, dtype: .float32, byteCount: $0.count * 4) }
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else { throw WeightFileError(file: path, .tensorNotFound(name)) }
        return tensor
    }

    /// ONNX tensors are read into memory (the files are small); there are no mapped bytes to hand out.
    public func rawBytes(_ name: String) throws -> RawTensorBytes {
        throw WeightFileError(file: path, .unsupportedConversion(tensor: name, dtype: "raw bytes of an ONNX initializer"))
    }
}
