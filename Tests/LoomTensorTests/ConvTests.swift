import LoomTensor
import Testing

/// im2col + GEMM: 1e-4 abs against torch.
@Suite struct ConvTests {
    let tolerance: Float = 1e-4

    @Test func conv1dHandComputed() {
        // One channel [1, 2, 3, 4], kernel [1, 0, -1], padding 1: out[t] = x[t-1] - x[t+1]
        let x = Tensor(shape: [1, 4], data: [1, 2, 3, 4])
        let w = Tensor(shape: [1, 1, 3], data: [1, 0, -1])
        #expect(Tensor.conv1d(x, weight: w, padding: 1) == Tensor(shape: [1, 4], data: [-2, -2, -2, 3]))
        // stride 2 keeps positions 0 and 2, plus the bias
        let strided = Tensor.conv1d(x, weight: w, bias: Tensor(shape: [1], data: [10]), stride: 2, padding: 1)
        #expect(strided == Tensor(shape: [1, 2], data: [8, 8]))
    }

    @Test func conv1dMatchesTorch() throws {
        let x = try KernelFixtures.tensor("conv1d_x"), w = try KernelFixtures.tensor("conv1d_w"), b = try KernelFixtures.tensor("conv1d_b")
        expectClose(Tensor.conv1d(x, weight: w, bias: b, stride: 1, padding: 1), try KernelFixtures.tensor("conv1d_s1_out"), tolerance: tolerance, "conv1d stride 1")
        expectClose(Tensor.conv1d(x, weight: w, bias: b, stride: 2, padding: 1), try KernelFixtures.tensor("conv1d_s2_out"), tolerance: tolerance, "conv1d stride 2")
        expectClose(
            Tensor.conv1d(try KernelFixtures.tensor("conv1d_batch_x"), weight: w, bias: b, stride: 2, padding: 1),
            try KernelFixtures.tensor("conv1d_batch_out"), tolerance: tolerance, "conv1d batched")
    }

    @Test func conv2dHandComputed() {
        // 2x2 image, 2x2 patches of ones: one patch summing the image
        let image = Tensor(shape: [1, 2, 2], data: [1, 2, 3, 4])
        let ones = Tensor(shape: [2, 1, 2, 2], data: [1, 1, 1, 1, 0, 0, 0, 1])
        #expect(Tensor.conv2d(image, weight: ones, stride: (2, 2)) == Tensor(shape: [2, 1, 1], data: [10, 4]))
        #expect(Tensor.patchEmbedding(image, weight: ones) == Tensor(shape: [1, 2], data: [10, 4]))
    }

    @Test func conv2dMatchesTorch() throws {
        let x = try KernelFixtures.tensor("patch_x"), w = try KernelFixtures.tensor("patch_w"), b = try KernelFixtures.tensor("patch_b")
        expectClose(Tensor.conv2d(x, weight: w, bias: b, stride: (4, 4)), try KernelFixtures.tensor("patch_conv_out"), tolerance: tolerance, "conv2d patch 4")
        expectClose(Tensor.patchEmbedding(x, weight: w, bias: b), try KernelFixtures.tensor("patch_embed_out"), tolerance: tolerance, "patchEmbedding")
        let general = Tensor.conv2d(
            try KernelFixtures.tensor("conv2d_x"), weight: try KernelFixtures.tensor("conv2d_w"),
            bias: try KernelFixtures.tensor("conv2d_b"), stride: (2, 1), padding: (1, 2))
        expectClose(general, try KernelFixtures.tensor("conv2d_out"), tolerance: tolerance, "conv2d stride (2,1) padding (1,2)")
    }
}
