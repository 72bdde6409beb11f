import Foundation
import LoomTensor
import Testing

/// Element-wise kernels: 1e-5 abs against torch (inputs of scale 3).
@Suite struct ActivationTests {
    let tolerance: Float = 1e-5

    @Test func handComputed() {
        let x = Tensor(shape: [3], data: [0, 1, -1])
        // gelu(1) = 0.5 (1 + erf(1/sqrt 2)) = 0.8413447; gelu(-1) = -0.1586553
        expectClose(x.gelu(), Tensor(shape: [3], data: [0, 0.8413447, -0.1586553]), tolerance: 1e-6, "gelu hand")
        // tanh form at 1: 0.5 (1 + tanh(0.7978846 * 1.044715)) = 0.8411920
        expectClose(x.gelu(approximation: .tanh), Tensor(shape: [3], data: [0, 0.8411920, -0.1588080]), tolerance: 1e-6, "gelu tanh hand")
        // silu(1) = 1 / (1 + e^-1) = 0.7310586
        expectClose(x.silu(), Tensor(shape: [3], data: [0, 0.7310586, -0.2689414]), tolerance: 1e-6, "silu hand")
        // Large inputs: silu(-100) underflows towards 0 (exp(100) is finite), not NaN; gelu saturates.
        let big = Tensor(shape: [2], data: [-100, 100])
        expectClose(big.silu(), Tensor(shape: [2], data: [0, 100]), tolerance: 1e-30, "silu saturation")
        #expect(Tensor(shape: [1], data: [-200]).silu().data[0] == 0, "exp(200) overflows to inf: -200/inf = -0")
        #expect(big.gelu() == Tensor(shape: [2], data: [0, 100]))
    }

    @Test func matchesTorch() throws {
        let x = try KernelFixtures.tensor("act_x")
        expectClose(x.gelu(), try KernelFixtures.tensor("gelu_out"), tolerance: tolerance, "gelu erf")
        expectClose(x.gelu(approximation: .tanh), try KernelFixtures.tensor("gelu_tanh_out"), tolerance: tolerance, "gelu tanh")
        expectClose(x.silu(), try KernelFixtures.tensor("silu_out"), tolerance: tolerance, "silu")
    }

    @Test func elementwiseWithRowBroadcast() {
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let row = Tensor(shape: [3], data: [10, 20, 30])
        #expect(x + row == Tensor(shape: [2, 3], data: [11, 22, 33, 14, 25, 36]))
        #expect(x * row == Tensor(shape: [2, 3], data: [10, 40, 90, 40, 100, 180]))
        #expect(x + x == Tensor(shape: [2, 3], data: [2, 4, 6, 8, 10, 12]))
        #expect(x * x == Tensor(shape: [2, 3], data: [1, 4, 9, 16, 25, 36]))
        #expect(x * 0.5 == Tensor(shape: [2, 3], data: [0.5, 1, 1.5, 2, 2.5, 3]))
        var y = x
        y.add(row)
        y.multiply(Tensor(shape: [3], data: [1, 0, -1]))
        #expect(y == Tensor(shape: [2, 3], data: [11, 0, -33, 14, 0, -36]))
    }
}
