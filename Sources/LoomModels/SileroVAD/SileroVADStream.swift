import Foundation
import LoomTensor

extension SileroVAD {
    /// The state of one audio stream: the LSTM's h and c and the last 64 samples seen, carried from
    /// chunk to chunk as the reference's `OnnxWrapper.__call__` carries `_state` and `_context`.
    ///
    /// A value type: copying a stream copies its state. All working memory is one array made at
    /// creation, so stepping through a file allocates nothing.
    public struct Stream: Sendable {
        public let model: SileroVAD
        private var arena: [Float]

        init(model: SileroVAD) {
            self.model = model
            arena = [Float](repeating: 0, count: Layout.total)
        }

        /// Back to the start of a stream: zero state and zero context (the reference's reset_states).
        public mutating func reset() {
            for i in arena.indices { arena[i] = 0 }
        }

        /// The speech probability of the next 512 samples (16 kHz) of this stream.
        public mutating func probability(of chunk: [Float]) throws -> Float {
            guard chunk.count == SileroVAD.chunkLength else { throw SileroVADError.wrongChunkLength(chunk.count) }
            return chunk.withUnsafeBufferPointer { step($0) }
        }

        /// One model step on exactly `chunkLength` samples (callers check the length).
        mutating func step(_ chunk: UnsafeBufferPointer<Float>) -> Float {
            let model = self.model
            return arena.withUnsafeMutableBufferPointer { buffer in
                model.forward(chunk, arena: buffer.baseAddress!)
            }
        }
    }

    /// Offsets into a stream's arena. `input` starts with the 64 samples of context, so carrying the
    /// context is one copy within the buffer; `xh` is the LSTM input [x; h], so its second half is h.
    enum Layout {
        static let frames = (paddedLength - SileroVAD.fftLength) / SileroVAD.hopLength + 1  // 4
        static let paddedLength = SileroVAD.contextLength + SileroVAD.chunkLength + SileroVAD.contextLength  // 640

        static let input = 0
        static let frameMatrix = input + paddedLength  // (4, 256)
        static let spectrum = frameMatrix + frames * SileroVAD.fftLength  // (258, 4)
        static let magnitude = spectrum + 2 * SileroVAD.frequencyBins * frames  // (129, 4)
        static let columns = magnitude + SileroVAD.frequencyBins * frames  // im2col scratch
        static let columnsSize = 129 * 3 * 4  // the largest layer: conv1, (129 * 3, 4)
        static let activationA = columns + columnsSize
        static let activationB = activationA + 128 * 4
        static let xh = activationB + 128 * 4  // (256)
        static let cell = xh + 2 * SileroVAD.hiddenSize  // (128)
        static let gates = cell + SileroVAD.hiddenSize  // (512)
        static let total = gates + 4 * SileroVAD.hiddenSize
    }

    /// One chunk through the network; reads and updates the context, h and c in `arena`.
    func forward(_ chunk: UnsafeBufferPointer<Float>, arena: UnsafeMutablePointer<Float>) -> Float {
        let context = Self.contextLength, fft = Self.fftLength, hop = Self.hopLength
        let bins = Self.frequencyBins, hidden = Self.hiddenSize, frames = Layout.frames
        let input = arena + Layout.input
        let unpadded = context + Self.chunkLength  // 576

        // [context | chunk], then reflect padding of 64 on the right (torch's "reflect": the edge
        // sample is not repeated).
        for i in 0..<Self.chunkLength { input[context + i] = chunk[i] }
        for j in 0..<context { input[unpadded + j] = input[unpadded - 2 - j] }

        // STFT: (258, 256) basis x (256, 4) frames of stride 128.
        let frameMatrix = arena + Layout.frameMatrix
        for f in 0..<frames {
            (frameMatrix + f * fft).update(from: input + f * hop, count: fft)
        }
        let spectrum = arena + Layout.spectrum
        stftBasis.withUnsafeBufferPointer { basis in
            BLAS.sgemm(
                transposeB: true, m: 2 * bins, n: frames, k: fft, a: basis.baseAddress!, lda: fft,
                b: frameMatrix, ldb: fft, c: spectrum, ldc: frames)
        }
        let magnitude = arena + Layout.magnitude
        for i in 0..<(bins * frames) {
            let re = spectrum[i], im = spectrum[bins * frames + i]
            magnitude[i] = (re * re + im * im).squareRoot()
        }

        // Encoder: conv1..conv4 with ReLU, ping-ponging between two buffers; conv4 writes x into xh.
        let columns = arena + Layout.columns
        let xh = arena + Layout.xh
        var source = UnsafePointer(magnitude)
        var length = frames
        for (index, layer) in encoder.enumerated() {
            let target = index == encoder.count - 1 ? xh : arena + (index % 2 == 0 ? Layout.activationA : Layout.activationB)
            layer.forward(source, length: length, columns: columns, output: target)
            source = UnsafePointer(target)
            length = layer.outputLength(length)
        }

        // LSTM cell: gates = [W_ih W_hh] [x; h] + b_ih + b_hh, chunks i, f, g, o.
        let gates = arena + Layout.gates
        let cell = arena + Layout.cell
        lstmBias.withUnsafeBufferPointer { bias in gates.update(from: bias.baseAddress!, count: 4 * hidden) }
        lstmWeight.withUnsafeBufferPointer { weight in
            BLAS.sgemm(
                m: 4 * hidden, n: 1, k: 2 * hidden, a: weight.baseAddress!, lda: 2 * hidden,
                b: xh, ldb: 1, beta: 1, c: gates, ldc: 1)
        }
        let h = xh + hidden
        var logit = finalBias
        finalWeight.withUnsafeBufferPointer { finalWeight in
            for j in 0..<hidden {
                let inputGate = sigmoid(gates[j])
                let forgetGate = sigmoid(gates[hidden + j])
                let candidate = tanhf(gates[2 * hidden + j])
                let outputGate = sigmoid(gates[3 * hidden + j])
                let c = forgetGate * cell[j] + inputGate * candidate
                cell[j] = c
                h[j] = outputGate * tanhf(c)
                // Decoder: ReLU(h) -> 1x1 conv.
                logit += finalWeight[j] * max(h[j], 0)
            }
        }

        // The last 64 samples of [context | chunk] are the next chunk's context.
        input.update(from: input + Self.chunkLength, count: context)
        return sigmoid(logit)
    }
}

@inline(__always)
private func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
