import LoomTensor
import Testing

/// GEMM-based results: 1e-4 abs against torch (sums of ~13 products of unit-scale values).
@Suite struct MatmulTests {
    let tolerance: Float = 1e-4

    @Test func handComputed() {
        // (2, 3) x (3, 2)
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], data: [7, 8, 9, 10, 11, 12])
        #expect(Tensor.matmul(a, b) == Tensor(shape: [2, 2], data: [58, 64, 139, 154]))
        // b stored transposed (2, 3): rows are the columns above
        let bt = Tensor(shape: [2, 3], data: [7, 9, 11, 8, 10, 12])
        #expect(Tensor.matmul(a, bt, transposedB: true) == Tensor(shape: [2, 2], data: [58, 64, 139, 154]))
        // linear: y = x W^T + b
        let y = Tensor.linear(a, weight: bt, bias: Tensor(shape: [2], data: [1, -1]))
        #expect(y == Tensor(shape: [2, 2], data: [59, 63, 140, 153]))
    }

    @Test func matchesTorch() throws {
        let a = try KernelFixtures.tensor("matmul_a")
        expectClose(Tensor.matmul(a, try KernelFixtures.tensor("matmul_b")), try KernelFixtures.tensor("matmul_out"), tolerance: tolerance, "matmul 7x13x5")
        expectClose(
            Tensor.matmul(a, try KernelFixtures.tensor("matmul_bt"), transposedB: true),
            try KernelFixtures.tensor("matmul_bt_out"), tolerance: tolerance, "matmul transposed B")
        expectClose(
            Tensor.matmul(try KernelFixtures.tensor("bmm_a"), try KernelFixtures.tensor("bmm_b")),
            try KernelFixtures.tensor("bmm_out"), tolerance: tolerance, "batched matmul")
        let linear = Tensor.linear(
            try KernelFixtures.tensor("linear_x"), weight: try KernelFixtures.tensor("linear_w"),
            bias: try KernelFixtures.tensor("linear_b"))
        expectClose(linear, try KernelFixtures.tensor("linear_out"), tolerance: tolerance, "linear (2,3,13)x(11,13)^T")
    }

    @Test func leadingDimensionsFoldIntoRows() {
        // (2, 2, 2) x (2, 1): each of the 4 rows dotted with [1, 10]
        let a = Tensor(shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8])
        let out = Tensor.matmul(a, Tensor(shape: [2, 1], data: [1, 10]))
        #expect(out == Tensor(shape: [2, 2, 1], data: [21, 43, 65, 87]))
    }

    @Test func emptyInnerDimensionGivesZerosAndBias() {
        let x = Tensor(zeros: [3, 0])
        let y = Tensor.linear(x, weight: Tensor(zeros: [2, 0]), bias: Tensor(shape: [2], data: [5, 6]))
        #expect(y == Tensor(shape: [3, 2], data: [5, 6, 5, 6, 5, 6]))
        #expect(Tensor.matmul(x, Tensor(zeros: [0, 4])) == Tensor(zeros: [3, 4]))
    }
}
