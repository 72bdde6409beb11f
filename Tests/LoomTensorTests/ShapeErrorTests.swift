import LoomTensor
import Testing

/// Mismatched shapes are programmer errors: the kernels stop the process with a message naming the
/// shapes (documented on each kernel). Exit tests run each case in a child process.
@Suite struct ShapeErrorTests {
    @Test func matmulInnerDimensions() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.matmul(Tensor(zeros: [2, 3]), Tensor(zeros: [4, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("matmul inner dimensions differ: [2, 3] x [4, 5]"), "\(message)")
    }

    @Test func batchedMatmulLeadingDimensions() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.matmul(Tensor(zeros: [2, 3, 4]), Tensor(zeros: [3, 4, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("batched matmul needs equal leading dimensions"), "\(message)")
    }

    @Test func linearWeightAndBias() async {
        var result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.linear(Tensor(zeros: [2, 3]), weight: Tensor(zeros: [4, 5]))
        }
        var message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("linear input [2, 3] does not end in the weight's in-features 5"), "\(message)")
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.linear(Tensor(zeros: [2, 3]), weight: Tensor(zeros: [4, 3]), bias: Tensor(zeros: [3]))
        }
        message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("linear bias must be [4]"), "\(message)")
    }

    @Test func normWeights() async {
        var result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]).layerNorm(weight: Tensor(zeros: [4]), bias: nil)
        }
        var message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("layerNorm weight must be [3] for input [2, 3], got [4]"), "\(message)")
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]).rmsNorm(weight: Tensor(zeros: [2]))
        }
        message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("rmsNorm weight must be [3]"), "\(message)")
    }

    @Test func elementwiseBroadcast() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]) + Tensor(zeros: [2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("add needs equal shapes or a row vector [3]: [2, 3] and [2]"), "\(message)")
    }

    @Test func convShapes() async {
        var result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.conv1d(Tensor(zeros: [3, 10]), weight: Tensor(zeros: [5, 4, 3]))
        }
        var message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("expects 4 input channels"), "\(message)")
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.conv2d(Tensor(zeros: [1, 2, 2]), weight: Tensor(zeros: [1, 1, 3, 3]))
        }
        message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("does not fit the padded input"), "\(message)")
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.patchEmbedding(Tensor(zeros: [3, 10, 8]), weight: Tensor(zeros: [6, 3, 4, 4]))
        }
        message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("is not a whole number of 4x4 patches"), "\(message)")
    }

    @Test func attentionShapes() async {
        var result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.scaledDotProductAttention(
                query: Tensor(zeros: [3, 2, 4]), key: Tensor(zeros: [2, 2, 4]), value: Tensor(zeros: [2, 2, 4]))
        }
        var message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("attention heads 3 must be a multiple of kv heads 2"), "\(message)")
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.scaledDotProductAttention(
                query: Tensor(zeros: [2, 2, 4]), key: Tensor(zeros: [2, 2, 8]), value: Tensor(zeros: [2, 2, 4]))
        }
        message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("attention key dimension 8 differs from query dimension 4"), "\(message)")
    }
}
