import LoomCheck
/// A dense float32 tensor in row-major order: the last dimension is contiguous.
///
/// Value semantics through the backing array (copy on write). Kernels take the storage through
/// `withUnsafeBufferPointer` so inner loops run without bounds checks or retain/release traffic.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var data: [Float]

    /// A tensor over `data`; the element count must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        require(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        require(shape.reduce(1, *) == data.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The same values viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }
}
