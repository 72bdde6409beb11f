import Foundation
import LoomTensor
import Testing

/// Row-wise kernels: 1e-5 abs against torch (outputs of unit scale).
@Suite struct NormTests {
    let tolerance: Float = 1e-5

    @Test func layerNormHandComputed() {
        // row [1, 2, 3, 4]: mean 2.5, var 1.25
        let x = Tensor(shape: [1, 4], data: [1, 2, 3, 4])
        let y = x.layerNorm(weight: nil, bias: nil, eps: 0)
        let s = 1 / Float(1.25).squareRoot()
        expectClose(y, Tensor(shape: [1, 4], data: [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s]), tolerance: 1e-6, "layerNorm hand")
        let weighted = x.layerNorm(weight: Tensor(shape: [4], data: [2, 2, 2, 2]), bias: Tensor(shape: [4], data: [1, 1, 1, 1]), eps: 0)
        expectClose(weighted, y * 2 + Tensor(shape: [4], data: [1, 1, 1, 1]), tolerance: 1e-6, "layerNorm affine hand")
    }

    @Test func layerNormMatchesTorch() throws {
        for name in ["layernorm", "layernorm_shift"] {
            let y = try KernelFixtures.tensor("\(name)_x").layerNorm(
                weight: try KernelFixtures.tensor("\(name)_w"), bias: try KernelFixtures.tensor("\(name)_b"), eps: 1e-5)
            // Rows of mean 50, std 3: a float32 input near 50 is only known to 4e-6 (one ulp), which
            // the normalization divides by 3 and the weights (|w| up to ~3) scale back up.
            expectClose(y, try KernelFixtures.tensor("\(name)_out"), tolerance: name == "layernorm" ? tolerance : 2e-5, name)
        }
    }

    @Test func rmsNormHandComputed() {
        // row [3, 4]: mean square 12.5
        let y = Tensor(shape: [1, 2], data: [3, 4]).rmsNorm(weight: Tensor(shape: [2], data: [1, 2]), eps: 0)
        let r = 1 / Float(12.5).squareRoot()
        expectClose(y, Tensor(shape: [1, 2], data: [3 * r, 8 * r]), tolerance: 1e-6, "rmsNorm hand")
    }

    @Test func rmsNormMatchesTorch() throws {
        let y = try KernelFixtures.tensor("rmsnorm_x").rmsNorm(weight: try KernelFixtures.tensor("rmsnorm_w"), eps: 1e-6)
        expectClose(y, try KernelFixtures.tensor("rmsnorm_out"), tolerance: tolerance, "rmsNorm")
    }

    @Test func softmaxHandComputed() {
        let y = Tensor(shape: [2, 2], data: [0, 0, 1000, 1000]).softmax()
        #expect(y == Tensor(shape: [2, 2], data: [0.5, 0.5, 0.5, 0.5]))
        let z = Tensor(shape: [3], data: [0, Float(3).squareRoot(), -Float.infinity]).softmax()
        let e = Float(3).squareRoot()
        expectClose(z, Tensor(shape: [3], data: [1 / (1 + expf(e)), expf(e) / (1 + expf(e)), 0]), tolerance: 1e-6, "softmax hand")
    }

    @Test func softmaxMatchesTorch() throws {
        for name in ["softmax", "softmax_large"] {
            expectClose(try KernelFixtures.tensor("\(name)_x").softmax(), try KernelFixtures.tensor("\(name)_out"), tolerance: tolerance, name)
        }
    }
}
