import Foundation
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// The integer kernels of CLoomKernels (through `QuantizedMatrix` with `.int8` activations and
/// `FastKernels`), AVX2 and portable bodies, against double-precision math written out here:
/// activations quantized per 32-element block as llama.cpp's `quantize_row_q8_1` does
/// (d = max|x| / 127, q = round-half-even(x / d)), then exact products with the weights that
/// LoomWeights' `GGMLDequantize` (bit-exact with ggml) gives.
@Suite(.serialized) struct LlamaIntegerKernelTests {
    /// x as the kernels see it after 8-bit block quantization.
    static func quantizedActivations(_ x: ArraySlice<Float>) -> [Double] {
        var out: [Double] = []
        let values = Array(x)
        for b in stride(from: 0, to: values.count, by: 32) {
            let block = values[b..<(b + 32)]
            let amax = block.map { abs($0) }.max()!
            let d = amax / 127
            let id: Float = amax != 0 ? 127 / amax : 0
            for v in block { out.append(Double(d) * Double((v * id).rounded(.toNearestOrEven))) }
        }
        return out
    }

    static let formats: [(QuantizedFormat, GGMLType)] = [(.q8_0, .q8_0), (.q4_0, .q4_0), (.q4_1, .q4_1)]

    @Test(arguments: [0, 1, 2], [false, true]) func int8ProductsEqualQuantizedActivationMath(index: Int, portable: Bool) throws {
        let (format, ggml) = Self.formats[index]
        let rows = 37, cols = 256, count = 6
        let bytes = LlamaQuantizedKernelTests.randomBytes(format, rows: rows, cols: cols, seed: UInt64(index + 11))
        var rng = SplitMix(5)
        let x = Tensor(shape: [count, cols], data: (0..<(count * cols)).map { _ in rng.float(-2, 2) })
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        try bytes.withUnsafeBytes { raw in
            let matrix = QuantizedMatrix(format: format, rows: rows, cols: cols, bytes: raw.baseAddress!, byteCount: raw.count, owner: nil)
            var weights = [Float](repeating: 0, count: rows * cols)
            let done = weights.withUnsafeMutableBufferPointer {
                GGMLDequantize.dequantize(ggml, raw.baseAddress!, count: rows * cols, into: $0.baseAddress!)
            }
            try #require(done)
            let batch = matrix.multiply(x, activations: .int8)
            var worstEmulated = 0.0, worstFloat = 0.0
            for t in 0..<count {
                var single = [Float](repeating: 0, count: rows)
                x.data.withUnsafeBufferPointer { xp in
                    single.withUnsafeMutableBufferPointer { matrix.multiply(vector: xp.baseAddress! + t * cols, into: $0.baseAddress!) }
                }
                let xq = Self.quantizedActivations(x.data[(t * cols)..<((t + 1) * cols)])
                for r in 0..<rows {
                    var emulated = 0.0, exact = 0.0, magnitude = 0.0, rounding = 0.0
                    for j in 0..<cols {
                        let w = Double(weights[r * cols + j])
                        emulated += w * xq[j]
                        exact += w * Double(x.data[t * cols + j])
                        magnitude += abs(w * xq[j])
                        rounding += abs(w) * abs(Double(x.data[t * cols + j]) - xq[j])
                    }
                    // Stated tolerance: 1e-5 of sum |w x| against the same math in double (float32
                    // block sums; f16 scales are exact), and the activation rounding itself bounds
                    // the distance to the float32-activation product.
                    for value in [Double(single[r]), Double(batch.data[t * rows + r])] {
                        #expect(abs(value - emulated) <= 1e-5 * max(magnitude, 1e-3))
                        #expect(abs(value - exact) <= rounding + 1e-5 * max(magnitude, 1e-3))
                        worstEmulated = max(worstEmulated, abs(value - emulated) / max(magnitude, 1e-3))
                        worstFloat = max(worstFloat, abs(value - exact) / max(magnitude, 1e-3))
                    }
                }
            }
            print("int8 \(format) portable=\(portable) max relative error vs emulated", worstEmulated, "vs float32 activations", worstFloat)
        }
    }

    @Test(arguments: [false, true]) func swigluMatchesExpf(portable: Bool) {
        var rng = SplitMix(3)
        var gate = (0..<1003).map { _ in rng.float(-30, 30) }
        gate[0] = -200
        gate[1] = 200
        let up = (0..<1003).map { _ in rng.float(-2, 2) }
        let expected = zip(gate, up).map { g, u in g / (1 + expf(-g)) * u }
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        gate.withUnsafeMutableBufferPointer { g in
            up.withUnsafeBufferPointer { FastKernels.swiglu(gate: g.baseAddress!, up: $0.baseAddress!, count: 1003) }
        }
        var worst: Float = 0
        for i in expected.indices {
            let error = abs(gate[i] - expected[i])
            worst = max(worst, error / max(abs(expected[i]), 1e-30))
            #expect(error <= 1e-6 * abs(expected[i]) + 1e-30)
        }
        print("swiglu portable=\(portable) max relative error", worst)
    }

    @Test(arguments: [64, 40, 12], [false, true]) func attendMatchesSoftmaxMath(headDim d: Int, portable: Bool) {
        var rng = SplitMix(UInt64(d))
        let n = 29
        let q = (0..<d).map { _ in rng.float(-3, 3) }
        let keys = (0..<(n * d)).map { _ in rng.float(-1, 1) }
        let values = (0..<(n * d)).map { _ in rng.float(-1, 1) }
        let scale = 1 / Float(d).squareRoot()
        var scores = [Double](repeating: 0, count: n)
        for j in 0..<n { scores[j] = (0..<d).reduce(0.0) { $0 + Double(q[$1]) * Double(keys[j * d + $1]) } * Double(scale) }
        let top = scores.max()!
        let weights = scores.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        let expected = (0..<d).map { i in (0..<n).reduce(0.0) { $0 + weights[$1] / total * Double(values[$1 * d + i]) } }
        var out = [Float](repeating: 0, count: d)
        var scratch = [Float](repeating: 0, count: n)
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        FastKernels.attend(query: q, keys: keys, values: values, count: n, headDim: d, scale: scale, scores: &scratch, into: &out)
        let diff = zip(out, expected).map { abs(Double($0) - $1) }.max()!
        print("attend d=\(d) portable=\(portable) maxdiff", diff)
        #expect(diff < 1e-5)
    }
}

extension LlamaIntegerKernelTests {
    /// Grouped heads (one kv head read once) equal one `attend` per head.
    @Test(arguments: [64, 40], [false, true]) func attendGroupEqualsAttendPerHead(headDim d: Int, portable: Bool) {
        var rng = SplitMix(UInt64(d) + 100)
        let n = 23, group = 3
        let q = (0..<(group * d)).map { _ in rng.float(-3, 3) }
        let keys = (0..<(n * d)).map { _ in rng.float(-1, 1) }
        let values = (0..<(n * d)).map { _ in rng.float(-1, 1) }
        var grouped = [Float](repeating: 0, count: group * d), single = grouped
        var scratch = [Float](repeating: 0, count: group * n)
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        FastKernels.attendGroup(query: q, keys: keys, values: values, count: n, headDim: d, group: group, scale: 0.125,
                                scores: &scratch, into: &grouped)
        for g in 0..<group {
            q.withUnsafeBufferPointer { qp in
                single.withUnsafeMutableBufferPointer { op in
                    FastKernels.attend(query: qp.baseAddress! + g * d, keys: keys, values: values, count: n, headDim: d,
                                       scale: 0.125, scores: &scratch, into: op.baseAddress! + g * d)
                }
            }
        }
        let diff = maxAbsDiff(grouped, single)
        print("attendGroup d=\(d) portable=\(portable) maxdiff", diff)
        #expect(diff < 1e-6)
    }
}

extension LlamaIntegerKernelTests {
    /// Row dequantization (CLoomKernels), both bodies, is bit-identical to ggml's (GGMLDequantize).
    @Test(arguments: [0, 1, 2], [false, true]) func dequantizationIsBitExact(index: Int, portable: Bool) throws {
        let (format, ggml) = Self.formats[index]
        let rows = 9, cols = 160
        let bytes = LlamaQuantizedKernelTests.randomBytes(format, rows: rows, cols: cols, seed: UInt64(index + 40))
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        try bytes.withUnsafeBytes { raw in
            let matrix = QuantizedMatrix(format: format, rows: rows, cols: cols, bytes: raw.baseAddress!, byteCount: raw.count, owner: nil)
            var reference = [Float](repeating: 0, count: rows * cols)
            let done = reference.withUnsafeMutableBufferPointer {
                GGMLDequantize.dequantize(ggml, raw.baseAddress!, count: rows * cols, into: $0.baseAddress!)
            }
            try #require(done)
            #expect(matrix.dequantized().data == reference)
        }
    }
}
