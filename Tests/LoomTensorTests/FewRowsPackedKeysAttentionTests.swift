import Foundation
import LoomTensor
import Testing

/// `Kernels.packKeys` + `Kernels.attendPackedKeys` (Sources/CLoomKernels/packed_keys_attention.c)
/// against softmax(scale q k^T) v computed in double, for query counts 1...8 and 13 (blocks of 6
/// plus a remainder), key counts around the 16-key panel (1, 15, 16, 17, 100, 1500), head sizes
/// that take the AVX2 body (multiples of 16) and the portable one (24, 8), both bodies forced.
/// Tolerance 2e-5 absolute: the outputs are convex combinations of values in [-1, 1], scores are
/// float32 dot products of d terms and exp is accurate to 2e-7 relative.
@Suite struct FewRowsPackedKeysAttentionTests {
    static let cases: [(queries: Int, keys: Int, dim: Int)] = [
        (1, 1, 16), (2, 15, 64), (3, 16, 16), (4, 17, 32), (5, 100, 64), (6, 33, 24), (7, 16, 8),
        (8, 1500, 64), (13, 47, 64), (5, 1500, 64),
    ]

    @Test(arguments: [false, true])
    func matchesDoubleReference(portable: Bool) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        var values = FewRowsKernelTests.Values(state: 21)
        var worst: Float = 0
        for (queries, count, dim) in Self.cases {
            let qStride = dim + 5, kStride = 2 * dim + 3, outStride = dim + 2
            let q = values.array(queries * qStride).map { 3 * $0 }  // sharper softmax than [-1, 1]
            let k = values.array(count * kStride), v = values.array(count * dim)
            let scale = 1 / Float(dim).squareRoot()
            var packed = [Float](repeating: .nan, count: Kernels.packedKeysCount(keys: count, dim: dim))
            var scores = [Float](repeating: 0, count: queries * Kernels.packedKeysCount(keys: count, dim: 1))
            var out = [Float](repeating: 0.5, count: queries * outStride)
            k.withUnsafeBufferPointer { kp in
                packed.withUnsafeMutableBufferPointer {
                    Kernels.packKeys(kp.baseAddress!, rowStride: kStride, count: count, dim: dim, into: $0.baseAddress!)
                }
            }
            q.withUnsafeBufferPointer { qp in
                packed.withUnsafeBufferPointer { pp in
                    v.withUnsafeBufferPointer { vp in
                        scores.withUnsafeMutableBufferPointer { sp in
                            out.withUnsafeMutableBufferPointer { op in
                                Kernels.attendPackedKeys(
                                    query: qp.baseAddress!, queryRowStride: qStride, queries: queries,
                                    packedKeys: pp.baseAddress!, values: vp.baseAddress!, count: count, dim: dim,
                                    scale: scale, scores: sp.baseAddress!, into: op.baseAddress!, outRowStride: outStride)
                            }
                        }
                    }
                }
            }
            for i in 0..<queries {
                var s = (0..<count).map { j in
                    (0..<dim).reduce(0.0) { $0 + Double(q[i * qStride + $1]) * Double(k[j * kStride + $1]) } * Double(scale)
                }
                let top = s.max()!
                s = s.map { exp($0 - top) }
                let total = s.reduce(0, +)
                for f in 0..<dim {
                    let expected = (0..<count).reduce(0.0) { $0 + s[$1] / total * Double(v[$1 * dim + f]) }
                    let d = Float(abs(Double(out[i * outStride + f]) - expected))
                    worst = max(worst, d)
                    #expect(d <= 2e-5, "queries \(queries) keys \(count) dim \(dim): query \(i) feature \(f)")
                }
                for f in dim..<outStride { #expect(out[i * outStride + f] == 0.5, "wrote past the head") }
            }
        }
        print("packed-keys attention portable \(portable) maxdiff", worst)
    }

    /// `Kernels.softmax` on strided rows (the encoder's score rows) against softmax in double, both bodies;
    /// probabilities within 2e-6 absolute, and the floats past each row's `dim` untouched.
    @Test(arguments: [false, true])
    func softmaxRowsMatchDoubleReference(portable: Bool) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        var values = FewRowsKernelTests.Values(state: 5)
        var worst: Float = 0
        for dim in [1, 7, 8, 9, 31, 1500] {
            let rows = 3, stride = dim + 3
            let x = values.array(rows * stride).map { 12 * $0 }
            var y = x
            y.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: rows, dim: dim, stride: stride) }
            for r in 0..<rows {
                let row = x[(r * stride)..<(r * stride + dim)].map(Double.init)
                let top = row.max()!
                let e = row.map { exp($0 - top) }
                let total = e.reduce(0, +)
                for j in 0..<dim {
                    let d = Float(abs(Double(y[r * stride + j]) - e[j] / total))
                    worst = max(worst, d)
                    #expect(d <= 2e-6, "dim \(dim) row \(r) column \(j)")
                }
                for j in dim..<stride { #expect(y[r * stride + j] == x[r * stride + j], "wrote past the row") }
            }
        }
        print("attention softmax portable \(portable) maxdiff", worst)
    }

    /// Panels of 16 keys stored feature by feature; the padding keys of the last panel are zero.
    @Test func packingLayout() {
        let count = 19, dim = 3, stride = 5
        let keys = (0..<(count * stride)).map(Float.init)
        var packed = [Float](repeating: .nan, count: Kernels.packedKeysCount(keys: count, dim: dim))
        #expect(packed.count == 32 * dim)
        keys.withUnsafeBufferPointer { kp in
            packed.withUnsafeMutableBufferPointer { Kernels.packKeys(kp.baseAddress!, rowStride: stride, count: count, dim: dim, into: $0.baseAddress!) }
        }
        for j in 0..<32 {
            for f in 0..<dim {
                let value = packed[((j / 16) * dim + f) * 16 + j % 16]
                #expect(value == (j < count ? keys[j * stride + f] : 0), "key \(j) feature \(f)")
            }
        }
    }
}
