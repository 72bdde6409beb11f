import CLoomKernels
import LoomTensor
import Testing

/// The decoder-step C kernels (Sources/CLoomKernels/few_rows.c, packed_keys_attention.c) against
/// double-precision reference math, on sizes that exercise every block and tail: k not a multiple of
/// 8, 1...8 rows (one pass) and more (several passes), output counts not a multiple of the output
/// block, sub-ranges of outputs, strides wider than the rows, float32 and half weights; each with
/// the AVX2 bodies (when the CPU has them) and the portable ones.
///
/// Tolerances: a product differs from the exact sum by float32 rounding of k terms, bounded here by
/// 1e-5 x sum_i |x_i w_i| + 1e-6. Attention outputs (convex combinations of values in [-1, 1]) are
/// within 2e-5 absolute.
@Suite struct FewRowsKernelTests {
    /// Deterministic values in [-1, 1) (SplitMix64).
    struct Values {
        var state: UInt64
        mutating func next() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / Float(1 << 23) - 1
        }
        mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    /// y[r, o] for o in outputs, in double, with weights given as floats; also sum |x w| for the bound.
    static func reference(x: [Float], ldx: Int, rows: Int, w: [Float], ldw: Int, k: Int, outputs: Range<Int>,
                          bias: [Float]?) -> [(r: Int, o: Int, value: Double, magnitude: Double)] {
        var out: [(Int, Int, Double, Double)] = []
        for r in 0..<rows {
            for o in outputs {
                var s = 0.0, m = 0.0
                for i in 0..<k {
                    let p = Double(x[r * ldx + i]) * Double(w[o * ldw + i])
                    s += p
                    m += abs(p)
                }
                out.append((r, o, s + Double(bias?[o] ?? 0), m))
            }
        }
        return out
    }

    static let shapes: [(rows: Int, k: Int, n: Int)] = [
        (1, 1, 1), (1, 7, 5), (2, 8, 9), (3, 9, 13), (4, 31, 7), (5, 67, 37), (6, 300, 11),
        (7, 17, 6), (8, 64, 19), (9, 33, 10), (13, 130, 23),
    ]

    @Test(arguments: [false, true], [false, true])
    func productMatchesDoubleReference(portable: Bool, half: Bool) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        var values = Values(state: half ? 11 : 7)
        var worst: Float = 0
        for (rows, k, n) in Self.shapes {
            let ldx = k + 3, ldw = k + (half ? 5 : 2), ldy = n + 4
            let x = values.array(rows * ldx)
            var w = values.array(n * ldw)
            var bits = [UInt16](repeating: 0, count: w.count)
            if half {
                // Half weights, some of them subnormal or signed zero; the reference uses their exact values.
                for i in w.indices {
                    let h = i % 17 == 0 ? Float16(bitPattern: UInt16(i % 1024)) : i % 19 == 0 ? -Float16(0) : Float16(w[i])
                    bits[i] = h.bitPattern
                    w[i] = Float(h)
                }
            }
            let bias = values.array(n)
            // Outputs split in three ranges as threads would; the 0.5 sentinels outside must stay.
            var y = [Float](repeating: 0.5, count: rows * ldy)
            let cuts = [0, n / 3, (2 * n) / 3, n]
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    bits.withUnsafeBufferPointer { hp in
                        bias.withUnsafeBufferPointer { bp in
                            y.withUnsafeMutableBufferPointer { yp in
                                for c in 0..<3 {
                                    let (lo, hi) = (Int64(cuts[c]), Int64(cuts[c + 1]))
                                    if half {
                                        loom_few_rows_f16(xp.baseAddress!, Int64(ldx), Int64(rows), hp.baseAddress!, Int64(ldw),
                                                          Int64(k), lo, hi, bp.baseAddress!, yp.baseAddress!, Int64(ldy))
                                    } else {
                                        loom_few_rows_f32(xp.baseAddress!, Int64(ldx), Int64(rows), wp.baseAddress!, Int64(ldw),
                                                          Int64(k), lo, hi, bp.baseAddress!, yp.baseAddress!, Int64(ldy))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for e in Self.reference(x: x, ldx: ldx, rows: rows, w: w, ldw: ldw, k: k, outputs: 0..<n, bias: bias) {
                let d = abs(Double(y[e.r * ldy + e.o]) - e.value)
                worst = max(worst, Float(d))
                #expect(d <= 1e-5 * e.magnitude + 1e-6, "rows \(rows) k \(k) n \(n) r \(e.r) o \(e.o): \(y[e.r * ldy + e.o]) vs \(e.value)")
            }
            for r in 0..<rows { for o in n..<ldy { #expect(y[r * ldy + o] == 0.5, "wrote past the outputs") } }
        }
        print("few-row product portable \(portable) half \(half) maxdiff", worst)
    }

    /// The Swift entry points (threads split the outputs) give the same values as one C call.
    @Test func smallRowProductEqualsOneCall() {
        // Held, so a test forcing the portable bodies meanwhile cannot change them between the calls.
        let bodies = FastKernels.choose(portable: false)
        defer { bodies.end() }
        var values = Values(state: 3)
        let rows = 5, k = 515, n = 4099
        let x = values.array(rows * k), w = values.array(n * k)
        let bits = w.map { Float16($0).bitPattern }
        var viaSwift = [Float](repeating: 0, count: rows * n), viaC = viaSwift
        var halfSwift = viaSwift, halfC = viaSwift
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                bits.withUnsafeBufferPointer { hp in
                    let xs = xp.baseAddress!, ws = wp.baseAddress!, hs = hp.baseAddress!
                    viaSwift.withUnsafeMutableBufferPointer {
                        Kernels.smallRowProduct(xs, ldx: k, rows: rows, weight: ws, ldw: k, n: n, k: k, bias: nil, into: $0.baseAddress!, ldy: n)
                    }
                    viaC.withUnsafeMutableBufferPointer {
                        loom_few_rows_f32(xs, Int64(k), Int64(rows), ws, Int64(k), Int64(k), 0, Int64(n), nil, $0.baseAddress!, Int64(n))
                    }
                    halfSwift.withUnsafeMutableBufferPointer {
                        Kernels.smallRowProduct(xs, ldx: k, rows: rows, halfWeight: hs, ldw: k, n: n, k: k, bias: nil, into: $0.baseAddress!, ldy: n)
                    }
                    halfC.withUnsafeMutableBufferPointer {
                        loom_few_rows_f16(xs, Int64(k), Int64(rows), hs, Int64(k), Int64(k), 0, Int64(n), nil, $0.baseAddress!, Int64(n))
                    }
                }
            }
        }
        #expect(viaSwift == viaC)
        #expect(halfSwift == halfC)
    }

    @Test(arguments: [false, true])
    func halfToFloatIsExact(portable: Bool) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        let bits = (0..<65536).map { UInt16($0) }
        var out = [Float](repeating: 0, count: bits.count)
        bits.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { Kernels.halfToFloat(b.baseAddress!, into: $0.baseAddress!, count: b.count) } }
        let wrong = bits.indices.filter { i in
            let expected = Float(Float16(bitPattern: bits[i]))
            return expected.isNaN ? !out[i].isNaN : out[i].bitPattern != expected.bitPattern
        }
        #expect(wrong.isEmpty, "half bit patterns converted wrongly: \(wrong.prefix(8))")
    }
}
