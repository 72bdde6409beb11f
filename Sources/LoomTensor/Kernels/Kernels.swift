/// Row-wise and element-wise kernels on raw float32 buffers, for model code that reuses scratch memory.
///
/// Each kernel also has a `Tensor` method (see the `Tensor+...` extensions beside it) that checks the
/// shapes and allocates the result. The buffer versions trust their counts: the caller guarantees
/// that every pointer covers `rows * dim` (or `count`) floats.
public enum Kernels {
    /// Row-parallel kernels split their rows across threads once a chunk holds this many floats;
    /// smaller inputs run on the calling thread, where a thread hand-off would cost more than the work.
    static let elementsPerChunk = 1 << 15

    /// Rows per chunk for a row-parallel kernel whose rows hold `dim` floats.
    @inline(__always)
    static func rowsPerChunk(dim: Int) -> Int { max(1, elementsPerChunk / max(dim, 1)) }
}
