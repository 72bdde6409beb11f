import LoomTensor
import LoomWeights

/// A value flowing between the operators of an `ONNXProgram`: float32 data (activations and
/// weights), or integers (the int64/int32 tensors of shapes, axes and slice bounds that exporters
/// compute inside the graph, e.g. `Shape -> Cast -> Slice -> Concat -> Reshape`).
enum ONNXValue: Sendable {
    case float(Tensor)
    case integers(shape: [Int], values: [Int])

    init(_ constant: ONNXConstant) {
        switch constant {
        case .float(let tensor): self = .float(tensor)
        case .integers(let shape, let values): self = .integers(shape: shape, values: values)
        }
    }

    var shape: [Int] {
        switch self {
        case .float(let tensor): tensor.shape
        case .integers(let shape, _): shape
        }
    }

    /// The same elements under another shape of equal count.
    func reshaped(_ shape: [Int]) -> ONNXValue {
        switch self {
        case .float(let tensor): .float(tensor.reshaped(shape))
        case .integers(_, let values): .integers(shape: shape, values: values)
        }
    }

    /// The elements picked by `indices` (flat positions into this value), under `shape`; one gather
    /// serves Transpose, Slice and Concat for both element kinds.
    func gathered(_ indices: [Int], shape: [Int]) -> ONNXValue {
        switch self {
        case .float(let tensor):
            var out = [Float](repeating: 0, count: indices.count)
            tensor.data.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for (i, index) in indices.enumerated() { target[i] = source[index] }
                }
            }
            return .float(Tensor(shape: shape, data: out))
        case .integers(_, let values):
            return .integers(shape: shape, values: indices.map { values[$0] })
        }
    }
}

/// Row-major strides of a shape.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for axis in shape.indices.reversed() {
        strides[axis] = step
        step *= shape[axis]
    }
    return strides
}

/// Calls `body` with the flat source offset of every element of a strided view, in row-major order
/// of `shape`: the walk under Transpose and Slice.
func forEachStridedOffset(shape: [Int], strides: [Int], start: Int, _ body: (Int) -> Void) {
    let count = shape.reduce(1, *)
    guard count > 0 else { return }
    if shape.isEmpty {
        body(start)
        return
    }
    var index = [Int](repeating: 0, count: shape.count)
    var offset = start
    let last = shape.count - 1
    for _ in 0..<(count / shape[last]) {
        var inner = offset
        for _ in 0..<shape[last] {
            body(inner)
            inner += strides[last]
        }
        // Advance the outer index (all axes but the last) like an odometer.
        var axis = last - 1
        while axis >= 0 {
            index[axis] += 1
            offset += strides[axis]
            if index[axis] < shape[axis] { break }
            offset -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}
