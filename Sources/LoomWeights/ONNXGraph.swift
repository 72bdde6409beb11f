import Foundation
import LoomTensor

/// The operators of an ONNX model's top-level graph, in file order (ONNX stores nodes topologically
/// sorted), with their attributes, the values of its Constant nodes, the opsets and the metadata.
///
/// What a graph executor needs before running anything: ModelProto opset_import (8), metadata_props
/// (14), graph (7) -> GraphProto node (1), input (11), output (12); NodeProto input (1), output (2),
/// name (3), op_type (4), attribute (5), domain (7); AttributeProto name (1), f (2), i (3), s (4),
/// t (5), floats (7), ints (8). PP-OCRv4's graphs keep every weight in Constant nodes, none in
/// initializers. Reference: https://github.com/onnx/onnx/blob/v1.17.0/onnx/onnx.proto
public struct ONNXGraph: Sendable {
    /// One attribute value; the kinds PP-OCRv4's operators use.
    public enum Attribute: Sendable, Equatable {
        case int(Int), float(Float), string(String), ints([Int]), floats([Float]), tensor(ONNXConstant)
    }

    public struct Node: Sendable {
        public let opType: String
        public let domain: String
        public let name: String
        public let inputs: [String]
        public let outputs: [String]
        public let attributes: [String: Attribute]
    }

    public let path: String
    public let nodes: [Node]
    public let inputNames: [String]
    public let outputNames: [String]
    /// Opset version per domain ("" is the default ONNX domain).
    public let opsets: [String: Int]
    /// metadata_props, e.g. PP-OCRv4's recognizer keeps its dictionary under "character".
    public let metadata: [String: String]

    public init(url: URL) throws {
        try self.init(bytes: ONNXTensorProto.fileBytes(url), path: url.path)
    }

    public init(bytes: [UInt8], path: String) throws {
        self.path = path
        let fail = { (what: String) in WeightFileError(file: path, .malformedHeader("not an ONNX model: \(what)")) }
        var nodes: [Node] = [], inputs: [String] = [], outputs: [String] = []
        var opsets: [String: Int] = [:], metadata: [String: String] = [:], sawGraph = false
        do {
            var model = ProtobufReader(bytes[...])
            while let (field, value) = try model.next() {
                switch (field, value) {
                case (7, .bytes(let graphBytes)):
                    sawGraph = true
                    var graph = ProtobufReader(graphBytes)
                    while let (field, value) = try graph.next() {
                        switch (field, value) {
                        case (1, .bytes(let nodeBytes)): nodes.append(try Self.node(nodeBytes, fail: fail))
                        case (11, .bytes(let info)): inputs.append(try Self.valueInfoName(info))
                        case (12, .bytes(let info)): outputs.append(try Self.valueInfoName(info))
                        default: continue
                        }
                    }
                case (8, .bytes(let opset)):
                    let (domain, version) = try Self.pair(opset)
                    opsets[domain] = Int(version) ?? 0
                case (14, .bytes(let entry)):
                    let (key, text) = try Self.pair(entry)
                    metadata[key] = text
                default: continue
                }
            }
        } catch let failure as ProtobufReader.Failure {
            switch failure {
            case .truncated(let why), .malformed(let why): throw fail(why)
            }
        }
        guard sawGraph else { throw fail("no graph") }
        guard !nodes.isEmpty else { throw fail("the graph has no operators") }
        self.nodes = nodes
        inputNames = inputs
        outputNames = outputs
        self.opsets = opsets
        self.metadata = metadata
    }

    /// The load-time check of an executor: every operator must be one it runs, else an error naming
    /// the first operator outside `supported` and the node that uses it.
    public func requireOperators(in supported: Set<String>) throws {
        for node in nodes where !supported.contains(node.opType) || !(node.domain.isEmpty || node.domain == "ai.onnx") {
            let label = node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)"
            throw WeightFileError(file: path, .unsupportedOperator(label, node: node.name, supported: supported.sorted()))
        }
    }

    /// The value of every Constant node, by its output name.
    public func constants() throws -> [String: ONNXConstant] {
        var values: [String: ONNXConstant] = [:]
        for node in nodes where node.opType == "Constant" {
            guard case .tensor(let value)? = node.attributes["value"], let name = node.outputs.first else {
                throw WeightFileError(file: path, .malformedHeader("Constant node '\(node.name)' has no tensor value"))
            }
            values[name] = value
        }
        return values
    }

    private static func node(_ bytes: ArraySlice<UInt8>, fail: (String) -> WeightFileError) throws -> Node {
        var reader = ProtobufReader(bytes)
        var inputs: [String] = [], outputs: [String] = [], name = "", opType = "", domain = ""
        var attributes: [String: Attribute] = [:]
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let text)): inputs.append(String(decoding: text, as: UTF8.self))
            case (2, .bytes(let text)): outputs.append(String(decoding: text, as: UTF8.self))
            case (3, .bytes(let text)): name = String(decoding: text, as: UTF8.self)
            case (4, .bytes(let text)): opType = String(decoding: text, as: UTF8.self)
            case (7, .bytes(let text)): domain = String(decoding: text, as: UTF8.self)
            case (5, .bytes(let attribute)):
                let (key, parsed) = try Self.attribute(attribute, fail: fail)
                if let parsed { attributes[key] = parsed }
            default: continue
            }
        }
        guard !opType.isEmpty else { throw fail("a node without an operator type") }
        return Node(opType: opType, domain: domain, name: name, inputs: inputs, outputs: outputs, attributes: attributes)
    }

    /// One AttributeProto; nil for kinds no supported operator reads (graphs, sparse tensors).
    private static func attribute(_ bytes: ArraySlice<UInt8>, fail: (String) -> WeightFileError) throws -> (String, Attribute?) {
        var reader = ProtobufReader(bytes)
        var name = "", single: Attribute?, ints: [Int] = [], floats: [Float] = []
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let text)): name = String(decoding: text, as: UTF8.self)
            case (2, .fixed32(let bits)): single = .float(Float(bitPattern: bits))
            case (3, .varint(let v)): single = .int(Int(truncatingIfNeeded: v))
            case (4, .bytes(let text)): single = .string(String(decoding: text, as: UTF8.self))
            case (5, .bytes(let tensor)): single = .tensor(try ONNXConstant(tensor, fail: fail))
            case (7, .fixed32(let bits)): floats.append(Float(bitPattern: bits))
            case (7, .bytes(let packed)): floats += try ONNXTensorProto.littleEndianFloats(packed, fail: fail)
            case (8, .varint(let v)): ints.append(Int(truncatingIfNeeded: v))
            case (8, .bytes(let packed)): ints += try ONNXTensorProto.packedVarints(packed)
            default: continue
            }
        }
        if let single { return (name, single) }
        if !floats.isEmpty { return (name, .floats(floats)) }
        // An empty repeated field cannot be told from an absent one on the wire; both read as [].
        return (name, .ints(ints))
    }

    private static func valueInfoName(_ bytes: ArraySlice<UInt8>) throws -> String {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            if field == 1, let text = value.string { return text }
        }
        return ""
    }

    /// Fields 1 and 2 of a small message: (domain, version) of an opset, (key, value) of metadata.
    private static func pair(_ bytes: ArraySlice<UInt8>) throws -> (String, String) {
        var reader = ProtobufReader(bytes)
        var first = "", second = ""
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let text)): first = String(decoding: text, as: UTF8.self)
            case (2, .bytes(let text)): second = String(decoding: text, as: UTF8.self)
            case (2, .varint(let v)): second = String(v)
            default: continue
            }
        }
        return (first, second)
    }
}

/// A Constant node's tensor: float32 weights, or int64 / int32 values (shapes, axes, slice bounds).
public enum ONNXConstant: Sendable, Equatable {
    case float(Tensor)
    case integers(shape: [Int], values: [Int])

    init(_ bytes: ArraySlice<UInt8>, fail: (String) -> WeightFileError) throws {
        let proto = try ONNXTensorProto(bytes, fail: fail)
        switch proto.dataType {
        case 1: self = .float(Tensor(shape: proto.dims, data: try proto.floatValues("constant", fail: fail)))
        case 6: self = .integers(shape: proto.dims, values: try proto.integerValues("constant", width: 4, fail: fail))
        case 7: self = .integers(shape: proto.dims, values: try proto.integerValues("constant", fail: fail))
        default: throw fail("constant \(proto.name) has data type \(proto.dataType); Loom reads FLOAT (1), INT32 (6) and INT64 (7)")
        }
    }
}
