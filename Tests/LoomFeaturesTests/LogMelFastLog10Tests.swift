import Foundation
@testable import LoomFeatures
import Testing

/// The vectorizable log10 used for log-mel values against Foundation's log10 (computed in Double).
@Suite struct LogMelFastLog10Tests {
    /// About one float ulp at |log10 x| = 10 (ulp(10) = 9.5e-7): rounding the result to Float alone
    /// costs up to half of that. On whisper's (x + 4) / 4 scale it is 2.5e-7, 400x inside the 1e-4 budget.
    static let tolerance = 1e-6

    @Test func matchesFoundationOverTheLogMelRange() {
        var worst = 0.0
        // Log-spaced points from 1e-10 (the clamp) to 1e6 (above any 16-bit audio's mel power),
        // plus the mantissa edges around sqrt(2) and powers of two.
        var points = (0...200_000).map { Float(pow(10.0, -10 + 16 * Double($0) / 200_000)) }
        points += [1, 2, 0.5, 1.4142135, 1.4142137, 0.70710677, 1e-10, 1024, 1.0000001, 0.99999994]
        for x in points {
            worst = max(worst, abs(Double(fastLog10(x)) - log10(Double(x))))
        }
        print("fastLog10 max abs error", worst, "tolerance", Self.tolerance)
        #expect(worst <= Self.tolerance)
    }
}
