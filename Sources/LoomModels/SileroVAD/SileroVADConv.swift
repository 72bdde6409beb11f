import LoomTensor

/// One encoder layer of Silero VAD: conv1d (zero padding, no dilation) then ReLU, over a block of
/// chunks at once, into caller-owned buffers so streaming a file allocates nothing per chunk.
///
/// Activations are (C, batch * L): channel rows, and within a row chunk b's L positions side by
/// side. Each chunk is padded on its own, so a block gives the same numbers as chunk-by-chunk
/// calls; doing a block in one GEMM packs the weights once per block instead of once per chunk.
/// The convolution is im2col + GEMM, as `Tensor.conv1d` does it.
struct SileroVADConv: Sendable {
    let weight: [Float]  // (Cout, Cin, K), torch's Conv1d layout
    let bias: [Float]  // (Cout)
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int

    func outputLength(_ length: Int) -> Int { (length + 2 * padding - kernel) / stride + 1 }

    /// `output` (Cout, batch * Lout) = ReLU(conv1d(`input` (Cin, batch * length))) per chunk;
    /// `columns` needs `inChannels * kernel * batch * outputLength(length)` floats.
    func forward(
        _ input: UnsafePointer<Float>, length: Int, batch: Int,
        columns: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let outLength = outputLength(length)
        let width = batch * outLength  // GEMM columns
        let patch = inChannels * kernel
        // columns (Cin*K, batch*Lout): row (ci, k), column (b, t) holds chunk b's
        // input[ci, t*stride + k - padding], 0 outside the chunk.
        for ci in 0..<inChannels {
            for k in 0..<kernel {
                let target = columns + (ci * kernel + k) * width
                for b in 0..<batch {
                    let row = input + ci * batch * length + b * length
                    for t in 0..<outLength {
                        let position = t * stride + k - padding
                        target[b * outLength + t] = position >= 0 && position < length ? row[position] : 0
                    }
                }
            }
        }
        bias.withUnsafeBufferPointer { b in
            for o in 0..<outChannels {
                (output + o * width).update(repeating: b[o], count: width)
            }
        }
        weight.withUnsafeBufferPointer { w in
            BLAS.sgemm(
                m: outChannels, n: width, k: patch, a: w.baseAddress!, lda: patch,
                b: columns, ldb: width, beta: 1, c: output, ldc: width)
        }
        for i in 0..<(outChannels * width) where output[i] < 0 { output[i] = 0 }
    }
}
