import Foundation
import LoomMedia
import LoomWeights

/// Silero VAD v6 (16 kHz): the speech probability of each 32 ms chunk of audio.
///
/// The graph follows silero-vad 6.2.3's `silero_vad/tinygrad_model.py` (the same network as its
/// `silero_vad.jit` / `silero_vad.onnx`), read from `silero_vad_16k_op15.onnx` (the weights of the stock
/// `silero_vad.jit`, which faster-whisper's bundled model also carries) or from a `.safetensors` file
/// with tinygrad_model.py's names. The wheel's own `silero_vad_16k.safetensors` holds other, older
/// trained weights (speech probabilities differ by up to 0.4): on long files its segments cut speech
/// apart where faster-whisper's do not, so Loom reads the ONNX file.
///
///     576 samples (64 of context + 512 new) -> reflect-pad 64 on the right -> 640
///     STFT as conv1d with the stored forward basis (258, 1, 256), stride 128 -> (258, 4)
///     magnitude sqrt(re^2 + im^2) -> (129, 4)
///     4 x (conv1d k3 p1 + ReLU): 129->128 s1, 128->64 s2, 64->64 s2, 64->128 s1 -> (128, 1)
///     LSTM cell 128 -> 128 (h, c carried to the next chunk)
///     ReLU(h) -> 1x1 conv -> sigmoid -> probability
///
/// The loaded weights are immutable and shared; per-stream state (LSTM h and c, the 64 samples of
/// context) lives in `SileroVAD.Stream`, one per audio stream.
/// Reference: https://github.com/snakers4/silero-vad (src/silero_vad/tinygrad_model.py, utils_vad.py).
public final class SileroVAD: Sendable {
    /// The only sample rate the 16 kHz model takes.
    public static let sampleRate = 16_000
    /// Samples per model step (32 ms).
    public static let chunkLength = 512
    /// Samples of the previous chunk prepended to each chunk, as the reference's model wrapper does.
    public static let contextLength = 64
    /// The weight file inside a model folder ($LOOM_HOME/models/silero-vad/), and the older
    /// safetensors weights read when a folder has only those.
    public static let weightFileName = "silero_vad_16k_op15.onnx"
    public static let safetensorsFileName = "silero_vad_16k.safetensors"

    static let fftLength = 256
    static let hopLength = 128
    static let frequencyBins = fftLength / 2 + 1  // 129
    static let hiddenSize = 128

    /// (258, 256): rows 0..<129 give the real parts, rows 129..<258 the imaginary parts.
    let stftBasis: [Float]
    let encoder: [SileroVADConv]
    /// (512, 128), torch's weight_ih.
    let lstmInputWeight: [Float]
    /// (128, 512): weight_hh transposed, so W_hh h is a sum of contiguous rows.
    let lstmHiddenWeightTransposed: [Float]
    /// (512): bias_ih + bias_hh. Gate order i, f, g, o, as torch.nn.LSTMCell.
    let lstmBias: [Float]
    let finalWeight: [Float]  // (128)
    let finalBias: Float

    /// Reads the model from an `.onnx` or `.safetensors` file, or from a folder holding
    /// `silero_vad_16k_op15.onnx` (else `silero_vad_16k.safetensors`).
    public convenience init(contentsOf url: URL) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue {
            try self.init(ModelRegistry.describe(url, as: .sileroVAD))
        } else if url.pathExtension.lowercased() == "onnx" {
            try self.init(weights: ONNXInitializers(url: url))
        } else {
            try self.init(weights: SafeTensorsFile(url: url))
        }
    }

    /// The Silero VAD weights the registry found.
    public convenience init(_ model: ModelDescription) throws {
        try self.init(weights: model.requiring(.sileroVAD).weights())
    }

    /// The stored name of a tensor named as in tinygrad_model.py: itself in a safetensors file, the
    /// TorchScript module's name (`model.encoder.0.reparam_conv.weight`, ...) in the ONNX export.
    private static func storedName(_ name: String, onnx: Bool) -> String {
        guard onnx else { return name }
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "stft_conv": return "model.stft.forward_basis_buffer"
        case "lstm_cell": return "model.decoder.rnn.\(parts[1])"
        case "final_conv": return "model.decoder.decoder.2.\(parts[1])"
        default:  // conv1 ... conv4
            let layer = (Int(parts[0].dropFirst(4)) ?? 1) - 1
            return "model.encoder.\(layer).reparam_conv.\(parts[1])"
        }
    }

    public init(weights source: any WeightSource) throws {
        let root = WeightScope(source)
        let onnx = source.contains("model.stft.forward_basis_buffer")
        func n(_ name: String) -> String { Self.storedName(name, onnx: onnx) }
        try root.requireAll([
            "stft_conv.weight", "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight",
            "conv3.bias", "conv4.weight", "conv4.bias", "lstm_cell.weight_ih", "lstm_cell.weight_hh",
            "lstm_cell.bias_ih", "lstm_cell.bias_hh", "final_conv.weight", "final_conv.bias",
        ].map(n))
        let bins = Self.frequencyBins, hidden = Self.hiddenSize
        stftBasis = try root.tensor(n("stft_conv.weight"), shape: [2 * bins, 1, Self.fftLength]).data
        // (in, out, stride) of conv1...conv4; kernel 3, padding 1 throughout.
        let layers = [(bins, 128, 1), (128, 64, 2), (64, 64, 2), (64, hidden, 1)]
        encoder = try layers.enumerated().map { index, layer in
            let (cin, cout, stride) = layer
            let name = "conv\(index + 1)"
            return SileroVADConv(
                weight: try root.tensor(n("\(name).weight"), shape: [cout, cin, 3]).data,
                bias: try root.tensor(n("\(name).bias"), shape: [cout]).data,
                inChannels: cin, outChannels: cout, kernel: 3, stride: stride, padding: 1)
        }
        lstmInputWeight = try root.tensor(n("lstm_cell.weight_ih"), shape: [4 * hidden, hidden]).data
        let hiddenWeight = try root.tensor(n("lstm_cell.weight_hh"), shape: [4 * hidden, hidden]).data
        var transposed = [Float](repeating: 0, count: hiddenWeight.count)
        for row in 0..<(4 * hidden) {
            for j in 0..<hidden { transposed[j * 4 * hidden + row] = hiddenWeight[row * hidden + j] }
        }
        lstmHiddenWeightTransposed = transposed
        let inputBias = try root.tensor(n("lstm_cell.bias_ih"), shape: [4 * hidden]).data
        let hiddenBias = try root.tensor(n("lstm_cell.bias_hh"), shape: [4 * hidden]).data
        lstmBias = zip(inputBias, hiddenBias).map { $0 + $1 }
        finalWeight = try root.tensor(n("final_conv.weight"), shape: [1, hidden, 1]).data
        finalBias = try root.tensor(n("final_conv.bias"), shape: [1]).data[0]
        try root.verifyAllUsed()
    }

    /// A fresh stream (zero LSTM state, zero context) for one audio stream.
    public func makeStream() -> Stream { Stream(model: self) }

    /// The speech probability of each 512-sample chunk of `audio`, the last chunk zero-padded, as
    /// the loop in the reference's `get_speech_timestamps` computes them. Empty audio gives [].
    public func speechProbabilities(_ audio: AudioBuffer) throws -> [Float] {
        guard audio.sampleRate == Self.sampleRate else { throw SileroVADError.unsupportedSampleRate(audio.sampleRate) }
        var stream = makeStream()
        let count = audio.samples.count
        let whole = count / Self.chunkLength
        var probabilities = [Float](repeating: 0, count: (count + Self.chunkLength - 1) / Self.chunkLength)
        probabilities.withUnsafeMutableBufferPointer { output in
            audio.samples.withUnsafeBufferPointer { samples in
                if whole > 0 { stream.process(samples.baseAddress!, chunkCount: whole, into: output.baseAddress!) }
                if whole < output.count {  // the last, short chunk, zero-padded
                    var last = [Float](repeating: 0, count: Self.chunkLength)
                    for i in (whole * Self.chunkLength)..<count { last[i - whole * Self.chunkLength] = samples[i] }
                    last.withUnsafeBufferPointer { stream.process($0.baseAddress!, chunkCount: 1, into: output.baseAddress! + whole) }
                }
            }
        }
        return probabilities
    }

    /// Speech segments of `audio`, as the reference's `get_speech_timestamps` finds them (sample-exact
    /// for the same probabilities). Empty audio gives [].
    public func speechSegments(_ audio: AudioBuffer, options: SegmentOptions = SegmentOptions()) throws -> [SpeechSegment] {
        try options.validate()
        let probabilities = try speechProbabilities(audio)
        return try Self.speechSegments(probabilities: probabilities, audioLength: audio.samples.count, options: options)
    }
}
