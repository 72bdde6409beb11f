import LoomTensor
import LoomWeights

/// One compiled ONNX node: the operator with its attributes read and checked at load. `run` takes
/// the node's inputs in order (nil for an omitted optional input) and returns its outputs.
enum Operator: Sendable {
    case identity
    case conv(Convolution)
    case convTranspose(TransposedConvolution)
    /// BatchNormalization in inference mode, as y = x * scale + shift per channel (axis 1).
    case batchNormalization(ChannelAffine)
    case unary(UnaryKind)
    /// Clip with bounds from attributes (opset < 11); from opset 11 they are inputs 1 and 2.
    case clip(minimum: Float?, maximum: Float?)
    case binary(BinaryKind)
    case globalAveragePool
    case pool(Pooling)
    case resizeNearest
    case concat(axis: Int)
    case reshape
    case transpose(permutation: [Int]?)
    case slice
    /// Squeeze with axes from the attribute (opset < 13) or input 1.
    case squeeze(axes: [Int]?)
    case shape
    case cast(toFloat: Bool)
    case reduceMean(axes: [Int]?, keepDimensions: Bool)
    case matMul
    /// Softmax over `axis`; before opset 13 over the whole block of dimensions from `axis` on.
    case softmax(axis: Int, coercesTo2D: Bool)

    init(_ node: ONNXGraph.Node, opset: Int, constants: [String: ONNXValue], path: String) throws {
        let attributes = NodeAttributes(node: node, path: path)
        switch node.opType {
        case "Identity": self = .identity
        case "Conv": self = .conv(try Convolution(node, attributes: attributes, constants: constants))
        case "ConvTranspose": self = .convTranspose(try TransposedConvolution(node, attributes: attributes, constants: constants))
        case "BatchNormalization": self = .batchNormalization(try ChannelAffine(batchNorm: node, attributes: attributes, constants: constants))
        case "Relu": self = .unary(.relu)
        case "Sigmoid": self = .unary(.sigmoid)
        case "Sqrt": self = .unary(.sqrt)
        case "HardSigmoid":
            self = .unary(.hardSigmoid(alpha: attributes.float("alpha") ?? 0.2, beta: attributes.float("beta") ?? 0.5))
        case "Clip": self = .clip(minimum: attributes.float("min"), maximum: attributes.float("max"))
        case "Add": self = .binary(.add)
        case "Sub": self = .binary(.subtract)
        case "Mul": self = .binary(.multiply)
        case "Div": self = .binary(.divide)
        case "Pow": self = .binary(.power)
        case "GlobalAveragePool": self = .globalAveragePool
        case "AveragePool": self = .pool(try Pooling(node, attributes: attributes, kind: .average))
        case "MaxPool": self = .pool(try Pooling(node, attributes: attributes, kind: .maximum))
        case "Resize":
            // PP-OCRv4's FPN upsamples by 2 with nearest neighbours on asymmetric coordinates.
            let mode = attributes.string("mode") ?? "nearest"
            let transform = attributes.string("coordinate_transformation_mode") ?? "half_pixel"
            let rounding = attributes.string("nearest_mode") ?? "round_prefer_floor"
            guard mode == "nearest", transform == "asymmetric", rounding == "floor" else {
                throw attributes.unsupported("mode \(mode), coordinates \(transform), rounding \(rounding) (Loom runs nearest, asymmetric, floor)")
            }
            self = .resizeNearest
        case "Concat":
            guard let axis = attributes.int("axis") else { throw attributes.unsupported("no axis") }
            self = .concat(axis: axis)
        case "Reshape":
            if attributes.int("allowzero") == 1 { throw attributes.unsupported("allowzero = 1") }
            self = .reshape
        case "Transpose": self = .transpose(permutation: attributes.ints("perm"))
        case "Slice":
            guard opset >= 10 else { throw attributes.unsupported("opset \(opset) Slice (bounds as attributes)") }
            self = .slice
        case "Squeeze": self = .squeeze(axes: attributes.ints("axes"))
        case "Shape": self = .shape
        case "Cast":
            // TensorProto.DataType: FLOAT 1, INT32 6, INT64 7.
            switch attributes.int("to") {
            case 1: self = .cast(toFloat: true)
            case 6, 7: self = .cast(toFloat: false)
            case let other: throw attributes.unsupported("a cast to data type \(other.map(String.init) ?? "none")")
            }
        case "ReduceMean":
            self = .reduceMean(axes: attributes.ints("axes"), keepDimensions: (attributes.int("keepdims") ?? 1) != 0)
        case "MatMul": self = .matMul
        case "Softmax":
            self = .softmax(axis: attributes.int("axis") ?? (opset >= 13 ? -1 : 1), coercesTo2D: opset < 13)
        default:
            throw WeightFileError(file: path, .unsupportedOperator(node.opType, node: node.name, supported: ONNXProgram.supportedOperators.sorted()))
        }
    }

    func run(_ inputs: [ONNXValue?]) throws -> [ONNXValue] {
        switch self {
        case .identity: return [try Self.any(inputs, 0)]
        case .conv(let conv): return [.float(try conv.run(try Self.float(inputs, 0)))]
        case .convTranspose(let conv): return [.float(try conv.run(try Self.float(inputs, 0)))]
        case .batchNormalization(let affine): return [.float(try affine.run(try Self.float(inputs, 0)))]
        case .unary(let kind): return [.float(kind.run(try Self.float(inputs, 0)))]
        case .clip(let minimum, let maximum):
            let low = try Self.optionalScalar(inputs, 1) ?? minimum ?? -.greatestFiniteMagnitude
            let high = try Self.optionalScalar(inputs, 2) ?? maximum ?? .greatestFiniteMagnitude
            return [.float(UnaryKind.clip(low: low, high: high).run(try Self.float(inputs, 0)))]
        case .binary(let kind): return [try kind.run(try Self.any(inputs, 0), try Self.any(inputs, 1))]
        case .globalAveragePool: return [.float(try Pooling.globalAverage(try Self.float(inputs, 0)))]
        case .pool(let pooling): return [.float(try pooling.run(try Self.float(inputs, 0)))]
        case .resizeNearest:
            let scales = inputs.count > 2 ? try Self.optionalFloats(inputs, 2) : nil
            let sizes = inputs.count > 3 ? try Self.integers(inputs, 3) : nil
            return [.float(try Resampling.nearest(try Self.float(inputs, 0), scales: scales, sizes: sizes))]
        case .concat(let axis): return [try ShapeOperators.concat(try inputs.indices.map { try Self.any(inputs, $0) }, axis: axis)]
        case .reshape: return [try ShapeOperators.reshape(try Self.any(inputs, 0), to: try Self.integers(inputs, 1))]
        case .transpose(let permutation): return [try ShapeOperators.transpose(try Self.any(inputs, 0), permutation: permutation)]
        case .slice:
            return [try ShapeOperators.slice(
                try Self.any(inputs, 0), starts: try Self.integers(inputs, 1), ends: try Self.integers(inputs, 2),
                axes: inputs.count > 3 ? try Self.optionalIntegers(inputs, 3) : nil,
                steps: inputs.count > 4 ? try Self.optionalIntegers(inputs, 4) : nil)]
        case .squeeze(let axes):
            let chosen = inputs.count > 1 ? try Self.optionalIntegers(inputs, 1) : axes
            return [try ShapeOperators.squeeze(try Self.any(inputs, 0), axes: chosen)]
        case .shape:
            let shape = try Self.any(inputs, 0).shape
            return [.integers(shape: [shape.count], values: shape)]
        case .cast(let toFloat): return [ShapeOperators.cast(try Self.any(inputs, 0), toFloat: toFloat)]
        case .reduceMean(let axes, let keep): return [.float(try Reduction.mean(try Self.float(inputs, 0), axes: axes, keepDimensions: keep))]
        case .matMul: return [.float(try Products.matMul(try Self.float(inputs, 0), try Self.float(inputs, 1)))]
        case .softmax(let axis, let coerces): return [.float(try Reduction.softmax(try Self.float(inputs, 0), axis: axis, coercesTo2D: coerces))]
        }
    }

    // MARK: reading inputs

    static func any(_ inputs: [ONNXValue?], _ index: Int) throws -> ONNXValue {
        guard index < inputs.count, let value = inputs[index] else { throw OperatorFailure("input \(index) is missing") }
        return value
    }

    static func float(_ inputs: [ONNXValue?], _ index: Int) throws -> Tensor {
        guard case .float(let tensor) = try any(inputs, index) else { throw OperatorFailure("input \(index) must be float") }
        return tensor
    }

    static func integers(_ inputs: [ONNXValue?], _ index: Int) throws -> [Int] {
        guard case .integers(_, let values) = try any(inputs, index) else { throw OperatorFailure("input \(index) must be integers") }
        return values
    }

    static func optionalIntegers(_ inputs: [ONNXValue?], _ index: Int) throws -> [Int]? {
        index < inputs.count && inputs[index] != nil ? try integers(inputs, index) : nil
    }

    /// Float values of an optional input; nil when omitted or empty (Resize's unused `scales`).
    static func optionalFloats(_ inputs: [ONNXValue?], _ index: Int) throws -> [Float]? {
        guard index < inputs.count, let value = inputs[index] else { return nil }
        guard case .float(let tensor) = value else { throw OperatorFailure("input \(index) must be float") }
        return tensor.count == 0 ? nil : tensor.data
    }

    static func optionalScalar(_ inputs: [ONNXValue?], _ index: Int) throws -> Float? {
        guard let values = try optionalFloats(inputs, index) else { return nil }
        guard values.count == 1 else { throw OperatorFailure("input \(index) must be a scalar, has \(values.count) values") }
        return values[0]
    }
}

/// A node's attributes, read with the node named in errors.
struct NodeAttributes {
    let node: ONNXGraph.Node
    let path: String

    func int(_ name: String) -> Int? {
        if case .int(let v)? = node.attributes[name] { return v }
        return nil
    }

    func float(_ name: String) -> Float? {
        if case .float(let v)? = node.attributes[name] { return v }
        return nil
    }

    func string(_ name: String) -> String? {
        if case .string(let v)? = node.attributes[name] { return v }
        return nil
    }

    func ints(_ name: String) -> [Int]? {
        switch node.attributes[name] {
        case .ints(let v)?: return v
        case .int(let v)?: return [v]
        default: return nil
        }
    }

    /// `count` integers (kernel_shape, strides, pads), `fallback` when absent.
    func ints(_ name: String, count: Int, fallback: [Int]) throws -> [Int] {
        guard let values = ints(name), !values.isEmpty else { return fallback }
        guard values.count == count else { throw unsupported("\(name) \(values) (expected \(count) values)") }
        return values
    }

    /// The float tensor of a Constant input (weights), else an error: Loom runs stored weights only.
    func constantTensor(_ index: Int, constants: [String: ONNXValue], what: String) throws -> Tensor? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        guard case .float(let tensor)? = constants[node.inputs[index]] else {
            throw unsupported("a \(what) that is computed in the graph instead of stored")
        }
        return tensor
    }

    func unsupported(_ what: String) -> WeightFileError {
        WeightFileError(file: path, .unsupportedOperatorUse(node.opType, node: node.name, what: what))
    }
}
