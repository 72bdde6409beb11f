extension Tensor {
    /// The number of rows when the last dimension is the row: the product of all other dimensions.
    @inlinable
    public var rowCount: Int { shape.dropLast().reduce(1, *) }

    /// The last dimension (1 for a rank-0 tensor).
    @inlinable
    public var lastDimension: Int { shape.last ?? 1 }
}
