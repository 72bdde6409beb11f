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
        try self.init(bytes: ONNXTensorProto.fileBytes(url), path: url.path)
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
        let proto = try ONNXTensorProto(bytes, fail: fail)
        guard proto.dataType == 1 else { throw fail("initializer \(proto.name) has data type \(proto.dataType); Loom reads FLOAT (1) only") }
        return (proto.name, Tensor(shape: proto.dims, data: try proto.floatValues("initializer", fail: fail)))
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
