import CLoomKernels
import Foundation
import LoomTensor
import LoomTestSupport
import Testing
@testable import LoomModels

/// CLoomKernels' encoder kernels (encoder_attention.c, encoder_elementwise.c), AVX2 and portable
/// bodies, against plain double-precision definitions; and the packed encoder against one sequence
/// at a time. The end-to-end match with transformers / sentence-transformers is BERTReferenceTests.
@Suite(.serialized) struct BERTKernelTests {
    /// Seeded values in [-spread, spread).
    static func randoms(_ count: Int, seed: UInt64, spread: Float = 1) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * spread
        }
    }

    /// softmax_j((q_i + qb).(k_j + kb) * scale) (v_j + vb) in double precision.
    static func attentionReference(qkv: [Float], stride: Int, bias: [Float]?, length: Int, headDim: Int, hidden: Int) -> [Float] {
        let scale = 1 / Double(headDim).squareRoot()
        func value(_ row: Int, _ part: Int, _ d: Int) -> Double {
            Double(qkv[row * stride + part * hidden + d]) + Double(bias?[part * hidden + d] ?? 0)
        }
        var out = [Float](repeating: 0, count: length * headDim)
        for i in 0..<length {
            let scores = (0..<length).map { j in (0..<headDim).reduce(0.0) { $0 + value(i, 0, $1) * value(j, 1, $1) } * scale }
            let top = scores.max()!
            let weights = scores.map { exp($0 - top) }
            let total = weights.reduce(0, +)
            for d in 0..<headDim {
                out[i * headDim + d] = Float((0..<length).reduce(0.0) { $0 + weights[$1] * value($1, 2, d) } / total)
            }
        }
        return out
    }

    /// One head (head 0 of `heads`) of one sequence through `loom_encoder_attention`.
    static func attention(qkv: [Float], bias: [Float]?, length: Int, headDim: Int, hidden: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: length * headDim)
        var scratch = [Float](repeating: .nan, count: Int(loom_encoder_attention_scratch(Int64(length), Int64(headDim))))
        qkv.withUnsafeBufferPointer { x in
            let q = x.baseAddress!
            func run(_ b: UnsafePointer<Float>?) {
                loom_encoder_attention(q, q + hidden, q + 2 * hidden, Int64(3 * hidden), b, b.map { $0 + hidden },
                                       b.map { $0 + 2 * hidden }, Int64(length), Int64(headDim), 1 / Float(headDim).squareRoot(),
                                       &scratch, &out, Int64(headDim))
            }
            if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
        }
        return out
    }

    @Test(arguments: [false, true]) func attentionMatchesDefinition(portable: Bool) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        var worst: Float = 0
        // Head sizes with and without 16-lane blocks, one the AVX2 body does not take (12); lengths
        // around the 4-row and 16-key blocks.
        for headDim in [64, 8, 24, 12] {
            for length in [1, 3, 4, 5, 16, 17, 33, 70] {
                for withBias in [false, true] {
                    let hidden = 2 * headDim
                    let qkv = Self.randoms(length * 3 * hidden, seed: UInt64(headDim * 1000 + length), spread: 2)
                    let bias = withBias ? Self.randoms(3 * hidden, seed: 7, spread: 0.5) : nil
                    let got = Self.attention(qkv: qkv, bias: bias, length: length, headDim: headDim, hidden: hidden)
                    let want = Self.attentionReference(qkv: qkv, stride: 3 * hidden, bias: bias, length: length, headDim: headDim, hidden: hidden)
                    worst = max(worst, maxAbsDiff(got, want))
                }
            }
        }
        print("encoder attention (portable: \(portable)) max diff vs double-precision definition", worst)
        #expect(worst < 2e-6)
    }

    @Test(arguments: [false, true]) func biasGELUMatchesDefinition(portable: Bool) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        let cols = 37  // an 8-lane tail in every row
        let inputs = (0..<(541 * cols)).map { Float($0 - 10000) / 1000 } + [-100, -87.5, -30, 30, 100, 0, -0.0] + [Float](repeating: 0, count: cols - 7)
        let bias = Self.randoms(cols, seed: 3, spread: 0.25)
        var got = inputs
        got.withUnsafeMutableBufferPointer { loom_encoder_bias_gelu($0.baseAddress!, bias, Int64(inputs.count / cols), Int64(cols)) }
        var worst: Float = 0
        for (i, x) in inputs.enumerated() {
            let v = Double(x + bias[i % cols])
            let want = 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
            worst = max(worst, Float(abs(Double(got[i]) - want) / max(1, abs(want))))
        }
        print("encoder bias+GELU (portable: \(portable)) max diff (relative above 1) vs erf GELU", worst)
        #expect(worst < 1e-6)
        #expect(got.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [false, true]) func biasResidualLayerNormMatchesDefinition(portable: Bool) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        var worst: Float = 0
        for dim in [384, 32, 20] {
            let rows = 9
            let x = Self.randoms(rows * dim, seed: 11, spread: 3), residual = Self.randoms(rows * dim, seed: 12, spread: 3)
            let bias = Self.randoms(dim, seed: 13), gamma = Self.randoms(dim, seed: 14), beta = Self.randoms(dim, seed: 15)
            var out = residual  // in place over the residual, as the encoder calls it
            out.withUnsafeMutableBufferPointer {
                loom_encoder_bias_residual_layer_norm(x, bias, $0.baseAddress!, gamma, beta, Int64(rows), Int64(dim), 1e-12, $0.baseAddress!)
            }
            for r in 0..<rows {
                let t = (0..<dim).map { Double(x[r * dim + $0]) + Double(bias[$0]) + Double(residual[r * dim + $0]) }
                let mean = t.reduce(0, +) / Double(dim)
                let variance = t.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
                for i in 0..<dim {
                    let want = (t[i] - mean) / (variance + 1e-12).squareRoot() * Double(gamma[i]) + Double(beta[i])
                    worst = max(worst, Float(abs(Double(out[r * dim + i]) - want)))
                }
            }
        }
        print("encoder bias+residual+LayerNorm (portable: \(portable)) max diff vs definition", worst)
        #expect(worst < 1e-5)
    }

    @Test func scheduleCoversEveryPairOnceAndBalances() {
        let lengths = [256, 0, 200, 256, 17, 1, 128, 90]
        for threads in [1, 2, 3, 8] {
            let plan = BERTAttention.schedule(lengths, heads: 6, threads: threads)
            let pairs = plan.flatMap { $0 }.sorted()
            #expect(pairs == lengths.indices.filter { lengths[$0] > 0 }.flatMap { s in (0..<6).map { s * 6 + $0 } })
            #expect(plan.count <= threads)
            let loads = plan.map { $0.reduce(0) { $0 + lengths[$1 / 6] * lengths[$1 / 6] } }
            if threads == 2 { #expect(Double(loads.max()!) / Double(loads.min()!) < 1.1) }
        }
    }

    /// Packing several sequences into one encoder call gives each the same states as running it alone.
    @Test func packedEqualsOneAtATimeOnTinyRandom() throws {
        let encoder = try BERTEncoder(folder: BERTReferenceTests.tinyFolder)
        let cases = try BERTReferenceTests.tinyReference().cases.map(\.ids)
        let (packed, ranges) = try encoder.hiddenStates(cases)
        var worst: Float = 0
        for (ids, range) in zip(cases, ranges) {
            let alone = try encoder.hiddenStates([ids]).states.data
            worst = max(worst, maxAbsDiff(alone, Array(packed.data[(range.lowerBound * 32)..<(range.upperBound * 32)])))
        }
        print("bert tiny packed vs alone maxdiff", worst)
        #expect(worst < 1e-5)
    }

    @Test func packedEqualsOneAtATimeOnMiniLM() throws {
        guard let weights = InstalledModels.file("minilm-l6-v2", "model.safetensors") else { return }
        let reference = try JSONDecoder().decode(BERTReferenceTests.MiniLMReference.self,
                                                 from: Data(contentsOf: Fixtures.url("bert/minilm.json")))
        let embedder = try SentenceEmbedder(folder: weights.deletingLastPathComponent(),
                                            tokenizer: TableTokenizer(zip(reference.sentences, reference.ids)))
        let packed = try embedder.embed(tokenIDs: reference.ids)
        var worst: Float = 0
        for (ids, vector) in zip(reference.ids, packed) {
            worst = max(worst, maxAbsDiff(try embedder.embed(tokenIDs: [ids])[0], vector))
        }
        print("bert minilm packed vs alone embedding maxdiff", worst, "longest", reference.ids.map(\.count).max()!, "tokens")
        #expect(worst < 1e-5)
    }
}
