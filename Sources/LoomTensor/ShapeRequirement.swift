/// Stops the program with `message` when `condition` is false.
///
/// Kernels take shapes that the model code fixes, so a mismatch is a programmer error, not bad user
/// input: loaders check weight shapes against the model's config and throw before a kernel runs.
/// Unlike `precondition`, this check stays in `-Ounchecked` release builds, where a wrong shape would
/// otherwise read or write out of bounds.
@inline(__always)
func requireShape(
    _ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) {
    if !condition { fatalError("LoomTensor: " + message(), file: file, line: line) }
}

extension Tensor {
    /// The number of rows when the last dimension is the row: the product of all other dimensions.
    @inlinable
    public var rowCount: Int { shape.dropLast().reduce(1, *) }

    /// The last dimension (1 for a rank-0 tensor).
    @inlinable
    public var lastDimension: Int { shape.last ?? 1 }
}
