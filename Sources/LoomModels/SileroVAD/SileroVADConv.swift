import LoomTensor

/// One encoder layer of Silero VAD: conv1d (zero padding, no dilation) then ReLU, run into
/// caller-owned buffers so streaming a file allocates nothing per chunk.
///
/// The convolution is im2col + GEMM, as `Tensor.conv1d` does it, with the scratch supplied by the
/// stream instead of allocated per call.
struct SileroVADConv: Sendable {
    let weight: [Float]  // (Cout, Cin, K), torch's Conv1d layout
    let bias: [Float]  // (Cout)
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int

    func outputLength(_ length: Int) -> Int { (length + 2 * padding - kernel) / stride + 1 }

    /// im2col needs `inChannels * kernel * outputLength(length)` floats of scratch.
    func columnCount(_ length: Int) -> Int { inChannels * kernel * outputLength(length) }

    /// `output` (Cout, Lout) = ReLU(conv1d(`input` (Cin, length))).
    func forward(
        _ input: UnsafePointer<Float>, length: Int,
        columns: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let outLength = outputLength(length)
        let patch = inChannels * kernel
        // columns (Cin*K, Lout): row (ci, k) holds input[ci, t*stride + k - padding], 0 outside.
        for ci in 0..<inChannels {
            let row = input + ci * length
            for k in 0..<kernel {
                let target = columns + (ci * kernel + k) * outLength
                for t in 0..<outLength {
                    let position = t * stride + k - padding
                    target[t] = position >= 0 && position < length ? row[position] : 0
                }
            }
        }
        bias.withUnsafeBufferPointer { b in
            for o in 0..<outChannels {
                for t in 0..<outLength { output[o * outLength + t] = b[o] }
            }
        }
        weight.withUnsafeBufferPointer { w in
            BLAS.sgemm(
                m: outChannels, n: outLength, k: patch, a: w.baseAddress!, lda: patch,
                b: columns, ldb: outLength, beta: 1, c: output, ldc: outLength)
        }
        for i in 0..<(outChannels * outLength) where output[i] < 0 { output[i] = 0 }
    }
}
