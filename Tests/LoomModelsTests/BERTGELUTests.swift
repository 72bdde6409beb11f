import Foundation
import LoomTensor
import Testing
@testable import LoomModels

/// The inline erf GELU against libm's erff GELU (LoomTensor.Kernels.gelu), which the kernel tests
/// check against torch.
@Suite struct BERTGELUTests {
    @Test func matchesErfGELU() {
        let inputs = (0..<20001).map { Float($0 - 10000) / 1000 } + [-100, -87.5, -30, 30, 100, 0, -0.0]
        var fast = inputs, exact = inputs
        fast.withUnsafeMutableBufferPointer { BERTGELU.apply($0.baseAddress!, count: $0.count) }
        exact.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: $0.count) }
        var worst: Float = 0
        for i in inputs.indices { worst = max(worst, abs(fast[i] - exact[i]) / max(1, abs(exact[i]))) }
        print("bert gelu max diff (relative above 1)", worst)
        #expect(worst < 1e-6)
        #expect(fast.allSatisfy { $0.isFinite })
    }

    @Test func expMatchesLibm() {
        var worst: Float = 0
        for i in 0...8700 {
            let x = -Float(i) / 100
            worst = max(worst, abs(BERTGELU.expNonPositive(x) - expf(x)) / expf(x))
        }
        print("bert exp max relative diff", worst)
        #expect(worst < 3e-7)
    }
}
