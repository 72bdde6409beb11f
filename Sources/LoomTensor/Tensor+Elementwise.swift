import LoomCheck
// Element-wise addition and multiplication, with the one broadcast models need: a vector (C)
// applied to every row of a (..., C) tensor (biases, per-channel scales).

extension Tensor {
    /// `lhs + rhs`: equal shapes, or `rhs` of shape (C) added to every row of `lhs` (..., C).
    ///
    /// Stops the program when the shapes fit neither form.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        var out = lhs
        out.add(rhs)
        return out
    }

    /// `lhs * rhs` element-wise: equal shapes, or `rhs` of shape (C) scaling every row of `lhs` (..., C).
    ///
    /// Stops the program when the shapes fit neither form.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        var out = lhs
        out.multiply(rhs)
        return out
    }

    /// Every element times `scale`.
    public static func * (lhs: Tensor, scale: Float) -> Tensor {
        var out = lhs
        out.data.withUnsafeMutableBufferPointer { op in
            for i in 0..<op.count { op[i] *= scale }
        }
        return out
    }

    /// Adds `other` in place: equal shapes, or a row vector (C) added to every row.
    public mutating func add(_ other: Tensor) {
        combine(other, name: "add") { a, b, n in for i in 0..<n { a[i] += b[i] } }
    }

    /// Multiplies by `other` in place: equal shapes, or a row vector (C) scaling every row.
    public mutating func multiply(_ other: Tensor) {
        combine(other, name: "multiply") { a, b, n in for i in 0..<n { a[i] *= b[i] } }
    }

    /// Applies `op(selfRow, otherRow, count)` over the whole tensor, or row by row when `other` is a
    /// row vector.
    private mutating func combine(
        _ other: Tensor, name: String,
        _ op: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
    ) {
        let sameShape = other.shape == shape
        let rowVector = other.rank == 1 && rank >= 1 && other.count == lastDimension
        require(
            sameShape || rowVector,
            "\(name) needs equal shapes or a row vector [\(lastDimension)]: \(shape) and \(other.shape)")
        let rows = sameShape ? 1 : rowCount
        let dim = sameShape ? count : lastDimension
        if dim == 0 { return }
        data.withUnsafeMutableBufferPointer { ap in
            other.data.withUnsafeBufferPointer { bp in
                for r in 0..<rows { op(ap.baseAddress! + r * dim, bp.baseAddress!, dim) }
            }
        }
    }
}
