import Foundation
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// `QuantizedMatrix` (LoomTensor/Quantized) against LoomWeights' `GGMLDequantize` (bit-exact with
/// ggml and the gguf Python package) followed by float32 products. Lives here because LoomTensor's
/// test target does not see LoomWeights.
@Suite struct LlamaQuantizedKernelTests {
    static let formats: [(QuantizedFormat, GGMLType)] = [(.q8_0, .q8_0), (.q4_0, .q4_0), (.q4_1, .q4_1), (.f16, .f16), (.f32, .f32)]

    /// Random blocks: valid f16 scales (and mins) and random quantized bytes.
    static func randomBytes(_ format: QuantizedFormat, rows: Int, cols: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix(seed)
        var bytes: [UInt8] = []
        let blocks = rows * cols / format.blockElements
        func half(_ v: Float) { withUnsafeBytes(of: HalfPrecision.floatToF16(v).littleEndian) { bytes += $0 } }
        for _ in 0..<blocks {
            switch format {
            case .q8_0: half(rng.float(0.001, 0.05)); for _ in 0..<32 { bytes.append(rng.byte()) }
            case .q4_0: half(rng.float(0.001, 0.2)); for _ in 0..<16 { bytes.append(rng.byte()) }
            case .q4_1: half(rng.float(0.001, 0.2)); half(rng.float(-1, 1)); for _ in 0..<16 { bytes.append(rng.byte()) }
            case .f16: half(rng.float(-1, 1))
            case .f32, .bf16: withUnsafeBytes(of: rng.float(-1, 1).bitPattern.littleEndian) { bytes += $0 }
            }
        }
        return bytes
    }

    @Test(arguments: [0, 1, 2, 3, 4]) func matchesDequantizeThenFloatProduct(index: Int) throws {
        let (format, ggml) = Self.formats[index]
        let rows = 37, cols = 256
        let bytes = Self.randomBytes(format, rows: rows, cols: cols, seed: UInt64(index + 1))
        var rng = SplitMix(99)
        let x = Tensor(shape: [5, cols], data: (0..<(5 * cols)).map { _ in rng.float(-2, 2) })

        try bytes.withUnsafeBytes { raw in
            let matrix = QuantizedMatrix(format: format, rows: rows, cols: cols, bytes: raw.baseAddress!, byteCount: raw.count, owner: nil)
            var reference = [Float](repeating: 0, count: rows * cols)
            let done = reference.withUnsafeMutableBufferPointer {
                GGMLDequantize.dequantize(ggml, raw.baseAddress!, count: rows * cols, into: $0.baseAddress!)
            }
            try #require(done)
            // Row dequantization is bit-identical to ggml's.
            #expect(matrix.dequantized().data == reference)

            // Float32 activations: stated tolerance 1e-5 of sum |w| |x| (float32 summation order
            // differs). The int8 path is checked in LlamaIntegerKernelTests.
            let batch = matrix.multiply(x, activations: .float32)
            var worst: Float = 0
            for t in 0..<5 {
                var single = [Float](repeating: 0, count: rows)
                x.data.withUnsafeBufferPointer { xp in
                    single.withUnsafeMutableBufferPointer { matrix.multiply(vector: xp.baseAddress! + t * cols, into: $0.baseAddress!, activations: .float32) }
                }
                for r in 0..<rows {
                    var exact: Double = 0, magnitude: Double = 0
                    for j in 0..<cols {
                        let w = Double(reference[r * cols + j]), v = Double(x.data[t * cols + j])
                        exact += w * v
                        magnitude += abs(w * v)
                    }
                    let bound = 1e-5 * max(magnitude, 1e-3)
                    worst = max(worst, Float(abs(Double(single[r]) - exact) / max(magnitude, 1e-3)))
                    #expect(abs(Double(single[r]) - exact) <= bound)
                    #expect(abs(Double(batch.data[t * rows + r]) - exact) <= bound)
                }
            }
            print("quantized \(format) matvec max relative error", worst)
        }
    }

    @Test func oneRowBatchAndEmptyMatrix() throws {
        let bytes = Self.randomBytes(.q4_1, rows: 3, cols: 64, seed: 7)
        try bytes.withUnsafeBytes { raw in
            let matrix = QuantizedMatrix(format: .q4_1, rows: 3, cols: 64, bytes: raw.baseAddress!, byteCount: raw.count, owner: nil)
            let x = Tensor(shape: [1, 64], data: (0..<64).map { Float($0) / 64 })
            let dense = try #require(Optional(matrix.dequantized()))
            let expected = Tensor.matmul(x, dense, transposedB: true)
            #expect(maxAbsDiff(matrix.multiply(x, activations: .float32).data, expected.data) < 1e-5)
            #expect(matrix.multiply(Tensor(zeros: [0, 64])).shape == [0, 3])
        }
    }
}

/// A small deterministic generator (SplitMix64) so fixtures need no files.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    mutating func float(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }
}
