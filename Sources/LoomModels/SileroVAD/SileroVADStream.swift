import Foundation
import LoomTensor

extension SileroVAD {
    /// The state of one audio stream: the LSTM's h and c and the last 64 samples seen, carried from
    /// chunk to chunk as the reference's `OnnxWrapper.__call__` carries `_state` and `_context`.
    ///
    /// A value type: copying a stream copies its state. All working memory is one array made at
    /// creation (about 0.7 MB), so stepping through a file allocates nothing per chunk.
    public struct Stream: Sendable {
        public let model: SileroVAD
        private var arena: [Float]

        init(model: SileroVAD) {
            self.model = model
            arena = [Float](repeating: 0, count: Layout.total)
        }

        /// Back to the start of a stream: zero state and zero context (the reference's reset_states).
        public mutating func reset() {
            arena.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }

        /// The speech probability of the next 512 samples (16 kHz) of this stream.
        public mutating func probability(of chunk: [Float]) throws -> Float {
            guard chunk.count == SileroVAD.chunkLength else { throw SileroVADError.wrongChunkLength(chunk.count) }
            var result: Float = 0
            chunk.withUnsafeBufferPointer { process($0.baseAddress!, chunkCount: 1, into: &result) }
            return result
        }

        /// The probabilities of the next `samples.count / 512` chunks; the count must be a multiple of 512.
        public mutating func probabilities(ofChunks samples: [Float]) throws -> [Float] {
            guard samples.count % SileroVAD.chunkLength == 0 else { throw SileroVADError.wrongChunkLength(samples.count) }
            let count = samples.count / SileroVAD.chunkLength
            var result = [Float](repeating: 0, count: count)
            samples.withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { process(input.baseAddress!, chunkCount: count, into: $0.baseAddress!) }
            }
            return result
        }

        /// `chunkCount` consecutive chunks of 512 samples, in blocks of up to `Layout.block`.
        mutating func process(_ samples: UnsafePointer<Float>, chunkCount: Int, into output: UnsafeMutablePointer<Float>) {
            let model = self.model
            arena.withUnsafeMutableBufferPointer { buffer in
                var first = 0
                while first < chunkCount {
                    let batch = min(Layout.block, chunkCount - first)
                    model.forward(
                        samples + first * SileroVAD.chunkLength, batch: batch, arena: buffer.baseAddress!,
                        probabilities: output + first)
                    first += batch
                }
            }
        }
    }

    /// Offsets into a stream's arena, sized for `block` chunks at a time. The first three regions
    /// are the stream's state; the rest is scratch.
    enum Layout {
        static let block = 32
        static let frames = (paddedLength - SileroVAD.fftLength) / SileroVAD.hopLength + 1  // 4 per chunk
        static let paddedLength = SileroVAD.contextLength + SileroVAD.chunkLength + SileroVAD.contextLength  // 640
        static let hidden = SileroVAD.hiddenSize

        static let context = 0  // (64)
        static let h = context + SileroVAD.contextLength  // (128)
        static let cell = h + hidden  // (128)
        static let padded = cell + hidden  // (block, 640)
        static let frameMatrix = padded + block * paddedLength  // (block * 4, 256)
        static let spectrum = frameMatrix + block * frames * SileroVAD.fftLength  // (258, block * 4)
        static let magnitude = spectrum + 2 * SileroVAD.frequencyBins * block * frames  // (129, block * 4)
        static let columns = magnitude + SileroVAD.frequencyBins * block * frames  // im2col, largest: conv1
        static let activationA = columns + SileroVAD.frequencyBins * 3 * block * frames
        static let activationB = activationA + 128 * block * frames
        static let x = activationB + 128 * block * frames  // (128, block): the LSTM inputs
        static let inputGates = x + hidden * block  // (512, block): W_ih x + b_ih + b_hh
        static let gates = inputGates + 4 * hidden * block  // (512)
        static let total = gates + 4 * hidden
    }

    /// `batch` consecutive chunks through the network. Everything before the LSTM depends only on
    /// the samples, so it runs for the whole block in one GEMM per layer; the LSTM then steps chunk
    /// by chunk. Reads and updates the context, h and c in `arena`.
    func forward(
        _ chunks: UnsafePointer<Float>, batch: Int, arena: UnsafeMutablePointer<Float>,
        probabilities: UnsafeMutablePointer<Float>
    ) {
        let contextLength = Self.contextLength, chunkLength = Self.chunkLength
        let fft = Self.fftLength, hop = Self.hopLength, bins = Self.frequencyBins, hidden = Self.hiddenSize
        let frames = Layout.frames, paddedLength = Layout.paddedLength
        let context = arena + Layout.context

        // Per chunk: [previous 64 samples | chunk], then reflect padding of 64 on the right (torch's
        // "reflect": the edge sample is not repeated).
        let padded = arena + Layout.padded
        for b in 0..<batch {
            let row = padded + b * paddedLength
            let previous = b == 0 ? UnsafePointer(context) : chunks + b * chunkLength - contextLength
            row.update(from: previous, count: contextLength)
            (row + contextLength).update(from: chunks + b * chunkLength, count: chunkLength)
            let end = contextLength + chunkLength
            for j in 0..<contextLength { row[end + j] = row[end - 2 - j] }
        }
        context.update(from: chunks + batch * chunkLength - contextLength, count: contextLength)

        // STFT: (258, 256) basis x frames of 256 at stride 128, 4 per chunk -> (258, batch * 4).
        let frameMatrix = arena + Layout.frameMatrix
        for b in 0..<batch {
            for f in 0..<frames {
                (frameMatrix + (b * frames + f) * fft).update(from: padded + b * paddedLength + f * hop, count: fft)
            }
        }
        let spectrum = arena + Layout.spectrum
        let width = batch * frames
        stftBasis.withUnsafeBufferPointer { basis in
            BLAS.sgemm(
                transposeB: true, m: 2 * bins, n: width, k: fft, a: basis.baseAddress!, lda: fft,
                b: frameMatrix, ldb: fft, c: spectrum, ldc: width)
        }
        let magnitude = arena + Layout.magnitude
        for i in 0..<(bins * width) {
            let re = spectrum[i], im = spectrum[bins * width + i]
            magnitude[i] = (re * re + im * im).squareRoot()
        }

        // Encoder: conv1..conv4 with ReLU, ping-ponging between two buffers; conv4 writes x, (128, batch).
        let columns = arena + Layout.columns
        let x = arena + Layout.x
        var source = UnsafePointer(magnitude)
        var length = frames
        for (index, layer) in encoder.enumerated() {
            let target = index == encoder.count - 1 ? x : arena + (index % 2 == 0 ? Layout.activationA : Layout.activationB)
            layer.forward(source, length: length, batch: batch, columns: columns, output: target)
            source = UnsafePointer(target)
            length = layer.outputLength(length)
        }

        // LSTM input side for the whole block: (512, batch) = W_ih x + b_ih + b_hh.
        let inputGates = arena + Layout.inputGates
        lstmBias.withUnsafeBufferPointer { bias in
            for row in 0..<(4 * hidden) { (inputGates + row * batch).update(repeating: bias[row], count: batch) }
        }
        lstmInputWeight.withUnsafeBufferPointer { weight in
            BLAS.sgemm(
                m: 4 * hidden, n: batch, k: hidden, a: weight.baseAddress!, lda: hidden,
                b: x, ldb: batch, beta: 1, c: inputGates, ldc: batch)
        }

        // LSTM steps (gate order i, f, g, o, as torch.nn.LSTMCell) and the decoder, chunk by chunk.
        let h = arena + Layout.h, cell = arena + Layout.cell, gates = arena + Layout.gates
        lstmHiddenWeightTransposed.withUnsafeBufferPointer { hiddenWeight in
            finalWeight.withUnsafeBufferPointer { finalWeight in
                for b in 0..<batch {
                    for j in 0..<(4 * hidden) { gates[j] = inputGates[j * batch + b] }
                    // gates += W_hh h, as a sum of rows of W_hh^T (vectorizes; no per-call packing).
                    for k in 0..<hidden {
                        let hk = h[k]
                        let row = hiddenWeight.baseAddress! + k * 4 * hidden
                        for j in 0..<(4 * hidden) { gates[j] += row[j] * hk }
                    }
                    var logit = finalBias
                    for j in 0..<hidden {
                        let inputGate = sigmoid(gates[j])
                        let forgetGate = sigmoid(gates[hidden + j])
                        let candidate = tanhf(gates[2 * hidden + j])
                        let outputGate = sigmoid(gates[3 * hidden + j])
                        let c = forgetGate * cell[j] + inputGate * candidate
                        cell[j] = c
                        h[j] = outputGate * tanhf(c)
                        logit += finalWeight[j] * max(h[j], 0)  // decoder: ReLU(h) -> 1x1 conv
                    }
                    probabilities[b] = sigmoid(logit)
                }
            }
        }
    }
}

@inline(__always)
private func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
