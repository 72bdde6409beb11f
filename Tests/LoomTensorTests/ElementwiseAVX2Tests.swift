import Foundation
import LoomTensor
import Testing

/// The AVX2 bodies of softmax, GELU, SiLU and QuickGELU (Sources/CLoomKernels/elementwise.c) against
/// the portable Swift bodies (VectorMath) and against double-precision formulas. Serialized: forcing
/// the portable bodies is process-wide.
@Suite(.serialized) struct ElementwiseAVX2Tests {
    /// Values from -30 to 30 plus the edges, on lengths that leave every tail size (n % 8).
    static func values(_ n: Int, seed: UInt32) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) * 60 - 30
        }
    }

    static func run(portable: Bool, _ body: () -> Void) {
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        body()
    }

    @Test func activationsMatchThePortableBodiesAndDoubleMath() throws {
        try #require(FastKernels.cpuHasAVX2, "this CPU has no AVX2: only the portable bodies run")
        let cases: [(String, (UnsafeMutablePointer<Float>, Int) -> Void, (Double) -> Double)] = [
            ("gelu", { Kernels.gelu($0, count: $1) }, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
            ("gelu-tanh", { Kernels.gelu($0, count: $1, approximation: .tanh) },
             { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
            ("silu", { Kernels.silu($0, count: $1) }, { $0 / (1 + exp(-$0)) }),
            ("quick-gelu", { Kernels.quickGELU($0, count: $1) }, { $0 / (1 + exp(-1.702 * $0)) }),
        ]
        for (name, kernel, reference) in cases {
            var worstPortable: Float = 0, worstDouble = 0.0
            for n in [1, 7, 8, 9, 15, 16, 17, 100, 1003] {
                let input = Self.values(n, seed: UInt32(n))
                var fast = input, portable = input
                Self.run(portable: false) { fast.withUnsafeMutableBufferPointer { kernel($0.baseAddress!, n) } }
                Self.run(portable: true) { portable.withUnsafeMutableBufferPointer { kernel($0.baseAddress!, n) } }
                for i in 0..<n {
                    worstPortable = max(worstPortable, abs(fast[i] - portable[i]) / max(1, abs(portable[i])))
                    let exact = reference(Double(input[i]))
                    worstDouble = max(worstDouble, abs(Double(fast[i]) - exact) / max(1, abs(exact)))
                }
            }
            print("\(name): AVX2 vs portable max rel diff \(worstPortable), vs double \(worstDouble)")
            #expect(worstPortable < 1e-6, "\(name)")
            #expect(worstDouble < 5e-7, "\(name)")  // erf's A&S 7.1.26 is good to 1.5e-7 absolute
        }
    }

    @Test func softmaxMatchesThePortableBodyAndDoubleMath() throws {
        try #require(FastKernels.cpuHasAVX2, "this CPU has no AVX2: only the portable bodies run")
        var worstPortable: Float = 0, worstDouble = 0.0
        for n in [1, 3, 8, 9, 31, 64, 257, 1500] {
            let rows = 3
            let input = Self.values(rows * n, seed: UInt32(7 * n))
            var fast = input, portable = input
            Self.run(portable: false) { fast.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: rows, dim: n) } }
            Self.run(portable: true) { portable.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: rows, dim: n) } }
            for r in 0..<rows {
                let row = input[(r * n)..<((r + 1) * n)].map(Double.init)
                let maximum = row.max()!
                let sum = row.reduce(0) { $0 + exp($1 - maximum) }
                for i in 0..<n {
                    let exact = exp(row[i] - maximum) / sum
                    worstDouble = max(worstDouble, abs(Double(fast[r * n + i]) - exact))
                    worstPortable = max(worstPortable, abs(fast[r * n + i] - portable[r * n + i]))
                }
            }
        }
        print("softmax: AVX2 vs portable max abs diff \(worstPortable), vs double \(worstDouble)")
        #expect(worstPortable < 1e-6)
        #expect(worstDouble < 1e-6)
    }

    /// PyTorch's edge cases: -inf entries get weight 0, a row of all -inf and any NaN give NaN;
    /// activations keep NaN and map the infinities to their limits.
    @Test func edgeCasesFollowPyTorch() throws {
        try #require(FastKernels.cpuHasAVX2, "this CPU has no AVX2: only the portable bodies run")
        var masked: [Float] = [1, -.infinity, 2, -.infinity, 0, 0, 0, 0, 3]
        masked.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: 1, dim: 9) }
        #expect(masked[1] == 0 && masked[3] == 0)
        #expect(abs(masked.reduce(0, +) - 1) < 1e-6)
        var allMasked = [Float](repeating: -.infinity, count: 11)
        allMasked.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: 1, dim: 11) }
        #expect(allMasked.allSatisfy { $0.isNaN })
        var withNaN: [Float] = [1, 2, .nan, 4, 5, 6, 7, 8, 9, 10]
        withNaN.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: 1, dim: 10) }
        #expect(withNaN.allSatisfy { $0.isNaN })

        var edges: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 100, -100, 1e-30, -1e-30]
        edges.withUnsafeMutableBufferPointer { Kernels.silu($0.baseAddress!, count: $0.count) }
        #expect(edges[0].isNaN)
        #expect(edges[1] == .infinity && edges[3] == 0 && edges[5] == 100 && abs(edges[6]) < 1e-30)
        var geluEdges: [Float] = [.nan, 50, -50, 0, 1e-20]
        geluEdges.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: $0.count) }
        #expect(geluEdges[0].isNaN)
        #expect(geluEdges[1] == 50 && geluEdges[2] == 0 && geluEdges[3] == 0)
    }
}
