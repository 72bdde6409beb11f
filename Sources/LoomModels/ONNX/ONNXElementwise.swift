import Foundation
import LoomTensor

/// One-input element-wise operators.
enum UnaryKind: Sendable {
    case relu, sigmoid, sqrt
    /// x * clip(x + 3, 0, 6) / 6: the chain Add, Clip, Mul, Div fused at load (ONNXFusion.swift).
    case hardSwish
    /// max(0, min(1, alpha * x + beta)).
    case hardSigmoid(alpha: Float, beta: Float)
    case clip(low: Float, high: Float)

    func run(_ x: Tensor) -> Tensor {
        var y = x
        y.data.withUnsafeMutableBufferPointer { v in
            switch self {
            case .relu: for i in v.indices { v[i] = max(v[i], 0) }
            case .sigmoid: for i in v.indices { v[i] = 1 / (1 + Foundation.exp(-v[i])) }
            case .sqrt: for i in v.indices { v[i] = v[i].squareRoot() }
            case .hardSwish: for i in v.indices { let x = v[i]; v[i] = x * min(max(x + 3, 0), 6) / 6 }
            case .hardSigmoid(let alpha, let beta): for i in v.indices { v[i] = min(max(alpha * v[i] + beta, 0), 1) }
            case .clip(let low, let high): for i in v.indices { v[i] = min(max(v[i], low), high) }
            }
        }
        return y
    }
}

/// Two-input element-wise operators with numpy broadcasting, on floats or (for shape arithmetic)
/// integers.
enum BinaryKind: Sendable {
    case add, subtract, multiply, divide, power

    func run(_ a: ONNXValue, _ b: ONNXValue) throws -> ONNXValue {
        switch (a, b) {
        case (.float(let x), .float(let y)): return .float(try floats(x, y))
        case (.integers(let xs, let x), .integers(let ys, let y)):
            guard let shape = broadcastShape(xs, ys) else { throw OperatorFailure("shapes \(xs) and \(ys) do not broadcast") }
            let left = broadcastIndices(from: xs, to: shape), right = broadcastIndices(from: ys, to: shape)
            let values = try zip(left, right).map { try integer(x[$0], y[$1]) }
            return .integers(shape: shape, values: values)
        default: throw OperatorFailure("one input is float and the other integers")
        }
    }

    private func integer(_ x: Int, _ y: Int) throws -> Int {
        switch self {
        case .add: return x &+ y
        case .subtract: return x &- y
        case .multiply: return x &* y
        case .divide:
            guard y != 0 else { throw OperatorFailure("integer division by zero") }
            return x / y
        case .power: return Int(Foundation.pow(Double(x), Double(y)))
        }
    }

    /// Float broadcasting. Adjacent dimensions where each input is either whole or broadcast alike are
    /// merged first, so (N, C, H, W) against (1, C, 1, 1) runs as N*C contiguous runs of H*W elements
    /// against one scalar each.
    private func floats(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        if a.shape == b.shape {
            let out = [Float](unsafeUninitializedCapacity: a.count) { o, initialized in
                initialized = a.count
                guard let target = o.baseAddress else { return }
                a.data.withUnsafeBufferPointer { x in
                    b.data.withUnsafeBufferPointer { y in apply(x.baseAddress!, 1, y.baseAddress!, 1, into: target, count: a.count) }
                }
            }
            return Tensor(shape: a.shape, data: out)
        }
        guard let shape = broadcastShape(a.shape, b.shape) else { throw OperatorFailure("shapes \(a.shape) and \(b.shape) do not broadcast") }
        let (dims, aStrides, bStrides) = Self.mergedDimensions(shape, a.shape, b.shape)
        var out = [Float](repeating: 0, count: shape.reduce(1, *))
        guard !out.isEmpty else { return Tensor(shape: shape, data: out) }
        let inner = dims.last!
        let (aStep, bStep) = (aStrides.last!, bStrides.last!)
        a.data.withUnsafeBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in
                out.withUnsafeMutableBufferPointer { o in
                    let outer = Array(dims.dropLast())
                    var aOffsets: [Int] = [], bOffsets: [Int] = []
                    forEachStridedOffset(shape: outer, strides: Array(aStrides.dropLast()), start: 0) { aOffsets.append($0) }
                    forEachStridedOffset(shape: outer, strides: Array(bStrides.dropLast()), start: 0) { bOffsets.append($0) }
                    for run in aOffsets.indices {
                        apply(x.baseAddress! + aOffsets[run], aStep, y.baseAddress! + bOffsets[run], bStep,
                              into: o.baseAddress! + run * inner, count: inner)
                    }
                }
            }
        }
        return Tensor(shape: shape, data: out)
    }

    /// out[i] = x[i * xStep] op y[i * yStep], each step 0 (a broadcast scalar) or 1.
    private func apply(
        _ x: UnsafePointer<Float>, _ xStep: Int, _ y: UnsafePointer<Float>, _ yStep: Int,
        into out: UnsafeMutablePointer<Float>, count: Int
    ) {
        switch self {
        case .add: Self.loop(x, xStep, y, yStep, out, count) { $0 + $1 }
        case .subtract: Self.loop(x, xStep, y, yStep, out, count) { $0 - $1 }
        case .multiply: Self.loop(x, xStep, y, yStep, out, count) { $0 * $1 }
        case .divide: Self.loop(x, xStep, y, yStep, out, count) { $0 / $1 }
        case .power:
            // LayerNorm's variance squares its input: Pow(x, 2) as a product, exactly.
            if yStep == 0 && y[0] == 2 {
                Self.loop(x, xStep, y, yStep, out, count) { a, _ in a * a }
            } else {
                Self.loop(x, xStep, y, yStep, out, count) { Foundation.pow($0, $1) }
            }
        }
    }

    /// The loop written once per step pattern, so each variant vectorizes.
    @inline(__always)
    private static func loop(
        _ x: UnsafePointer<Float>, _ xStep: Int, _ y: UnsafePointer<Float>, _ yStep: Int,
        _ out: UnsafeMutablePointer<Float>, _ count: Int, _ op: (Float, Float) -> Float
    ) {
        switch (xStep, yStep) {
        case (1, 1): for i in 0..<count { out[i] = op(x[i], y[i]) }
        case (1, _): let b = y[0]; for i in 0..<count { out[i] = op(x[i], b) }
        case (_, 1): let a = x[0]; for i in 0..<count { out[i] = op(a, y[i]) }
        default: let (a, b) = (x[0], y[0]); for i in 0..<count { out[i] = op(a, b) }
        }
    }

    /// Merges adjacent output dimensions where each input is whole in both or broadcast in both, and
    /// returns the merged dimensions with each input's strides over them (0 where it is broadcast).
    static func mergedDimensions(_ shape: [Int], _ a: [Int], _ b: [Int]) -> ([Int], [Int], [Int]) {
        let pa = [Int](repeating: 1, count: shape.count - a.count) + a
        let pb = [Int](repeating: 1, count: shape.count - b.count) + b
        var dims: [Int] = [], aWhole: [Bool] = [], bWhole: [Bool] = []
        for axis in shape.indices where shape[axis] != 1 {
            let (wa, wb) = (pa[axis] != 1, pb[axis] != 1)
            if let last = dims.indices.last, aWhole[last] == wa, bWhole[last] == wb {
                dims[last] *= shape[axis]
            } else {
                dims.append(shape[axis]); aWhole.append(wa); bWhole.append(wb)
            }
        }
        if dims.isEmpty { return ([1], [0], [0]) }
        func strides(_ whole: [Bool]) -> [Int] {
            var result = [Int](repeating: 0, count: dims.count)
            var step = 1
            for axis in dims.indices.reversed() where whole[axis] {
                result[axis] = step
                step *= dims[axis]
            }
            return result
        }
        return (dims, strides(aWhole), strides(bWhole))
    }
}
