import LoomTensor

/// The operators that move elements without arithmetic: Reshape, Transpose, Slice, Concat, Squeeze
/// and Cast, on floats and on the integer tensors of in-graph shape computations.
enum ShapeOperators {
    /// A possibly negative axis, checked against the rank.
    static func axis(_ axis: Int, rank: Int) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0 && resolved < max(rank, 1) else { throw OperatorFailure("axis \(axis) is out of range for rank \(rank)") }
        return resolved
    }

    /// Reshape: 0 copies the input's dimension, -1 takes what is left (allowzero = 0).
    static func reshape(_ x: ONNXValue, to requested: [Int]) throws -> ONNXValue {
        let input = x.shape
        var shape = try requested.enumerated().map { index, size -> Int in
            guard size >= -1 else { throw OperatorFailure("shape \(requested) has a negative size") }
            if size == 0 {
                guard index < input.count else { throw OperatorFailure("shape \(requested) copies a dimension \(input) lacks") }
                return input[index]
            }
            return size
        }
        let count = input.reduce(1, *)
        let inferred = shape.indices.filter { shape[$0] == -1 }
        guard inferred.count <= 1 else { throw OperatorFailure("shape \(requested) infers more than one dimension") }
        if let axis = inferred.first {
            let known = shape.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else { throw OperatorFailure("cannot reshape \(input) to \(requested)") }
            shape[axis] = count / known
        }
        guard shape.reduce(1, *) == count else { throw OperatorFailure("cannot reshape \(input) (\(count) elements) to \(shape)") }
        return x.reshaped(shape)
    }

    /// Transpose by `permutation` (default: reversed axes).
    static func transpose(_ x: ONNXValue, permutation: [Int]?) throws -> ONNXValue {
        let shape = x.shape
        let permutation = permutation ?? Array(shape.indices.reversed())
        guard permutation.sorted() == Array(shape.indices) else { throw OperatorFailure("perm \(permutation) does not fit rank \(shape.count)") }
        if permutation == Array(shape.indices) { return x }
        let strides = contiguousStrides(shape)
        let outShape = permutation.map { shape[$0] }
        var indices: [Int] = []
        indices.reserveCapacity(shape.reduce(1, *))
        forEachStridedOffset(shape: outShape, strides: permutation.map { strides[$0] }, start: 0) { indices.append($0) }
        return x.gathered(indices, shape: outShape)
    }

    /// Slice (opset 10+): per listed axis, start, end (exclusive, clamped) and step.
    static func slice(_ x: ONNXValue, starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws -> ONNXValue {
        let shape = x.shape
        let axes = try (axes ?? Array(0..<starts.count)).map { try axis($0, rank: shape.count) }
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, Set(axes).count == axes.count else {
            throw OperatorFailure("starts \(starts), ends \(ends), axes \(axes) and steps \(steps) do not match")
        }
        var first = [Int](repeating: 0, count: shape.count)
        var outShape = shape
        var step = [Int](repeating: 1, count: shape.count)
        for (i, a) in axes.enumerated() {
            let size = shape[a], s = steps[i]
            guard s != 0 else { throw OperatorFailure("a slice step of 0") }
            // Negative bounds count from the end; then clamp as the ONNX definition does per direction.
            var start = starts[i] < 0 ? starts[i] + size : starts[i]
            var end = ends[i] < 0 ? ends[i] + size : ends[i]
            if s > 0 {
                start = min(max(start, 0), size)
                end = min(max(end, 0), size)
                outShape[a] = end > start ? (end - start + s - 1) / s : 0
            } else {
                start = min(max(start, 0), size - 1)
                end = min(max(end, -1), size - 1)
                outShape[a] = start > end ? (start - end - s - 1) / -s : 0
            }
            first[a] = start
            step[a] = s
        }
        let strides = contiguousStrides(shape)
        let start = zip(first, strides).reduce(0) { $0 + $1.0 * $1.1 }
        var indices: [Int] = []
        forEachStridedOffset(shape: outShape, strides: zip(strides, step).map { $0 * $1 }, start: start) { indices.append($0) }
        return x.gathered(indices, shape: outShape)
    }

    /// Concat along `axis`; all inputs the same kind and equal in every other dimension.
    static func concat(_ parts: [ONNXValue], axis requested: Int) throws -> ONNXValue {
        guard let firstShape = parts.first?.shape else { throw OperatorFailure("no inputs") }
        let axis = try axis(requested, rank: firstShape.count)
        for part in parts {
            guard part.shape.count == firstShape.count,
                  part.shape.indices.allSatisfy({ $0 == axis || part.shape[$0] == firstShape[$0] }) else {
                throw OperatorFailure("shapes \(parts.map(\.shape)) do not concatenate along axis \(axis)")
            }
        }
        var outShape = firstShape
        outShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let outer = firstShape[..<axis].reduce(1, *), inner = firstShape[(axis + 1)...].reduce(1, *)
        switch parts[0] {
        case .float:
            var out: [Float] = []
            out.reserveCapacity(outShape.reduce(1, *))
            for o in 0..<outer {
                for part in parts {
                    guard case .float(let t) = part else { throw OperatorFailure("float and integer inputs mixed") }
                    let block = t.shape[axis] * inner
                    out.append(contentsOf: t.data[(o * block)..<((o + 1) * block)])
                }
            }
            return .float(Tensor(shape: outShape, data: out))
        case .integers:
            var out: [Int] = []
            for o in 0..<outer {
                for part in parts {
                    guard case .integers(let shape, let values) = part else { throw OperatorFailure("float and integer inputs mixed") }
                    let block = shape[axis] * inner
                    out.append(contentsOf: values[(o * block)..<((o + 1) * block)])
                }
            }
            return .integers(shape: outShape, values: out)
        }
    }

    /// Squeeze the listed size-1 axes (all of them when none are listed).
    static func squeeze(_ x: ONNXValue, axes: [Int]?) throws -> ONNXValue {
        let shape = x.shape
        let removed = try Set((axes ?? shape.indices.filter { shape[$0] == 1 }).map { try axis($0, rank: shape.count) })
        for a in removed where shape[a] != 1 { throw OperatorFailure("axis \(a) of \(shape) is not of size 1") }
        return x.reshaped(shape.indices.filter { !removed.contains($0) }.map { shape[$0] })
    }

    /// Cast between float and integers (float to integer truncates toward zero, as ONNX does).
    static func cast(_ x: ONNXValue, toFloat: Bool) -> ONNXValue {
        switch (x, toFloat) {
        case (.float(let t), false): .integers(shape: t.shape, values: t.data.map { $0.isFinite ? Int(min(max($0, -9e18), 9e18)) : 0 })
        case (.integers(let shape, let values), true): .float(Tensor(shape: shape, data: values.map(Float.init)))
        default: x
        }
    }
}
