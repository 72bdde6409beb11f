/// log10 for positive, finite, normal floats, written as branch-free arithmetic so the loop over a row
/// vectorizes (glibc's scalar log10f is the slowest step of a long spectrogram otherwise).
///
/// Cephes `logf` (https://github.com/jeremybarnes/cephes/blob/master/single/logf.c): split x into
/// 2^e * m with m in [sqrt(1/2), sqrt(2)), evaluate ln(m) with its degree-9 minimax polynomial, add e ln 2.
/// Absolute error of the result is below 3e-7 for the range log-mel uses ([1e-10, 1e6]).
@inline(__always)
func fastLog10(_ x: Float) -> Float {
    let bits = x.bitPattern
    var exponent = Int32(bitPattern: bits >> 23) - 126
    // Mantissa scaled into [0.5, 1).
    var m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F00_0000)
    let belowSqrtHalf = m < 0.707106781186547524
    exponent -= belowSqrtHalf ? 1 : 0
    m = belowSqrtHalf ? m + m - 1 : m - 1
    let z = m * m
    var p: Float = 7.0376836292e-2
    p = p * m - 1.1514610310e-1
    p = p * m + 1.1676998740e-1
    p = p * m - 1.2420140846e-1
    p = p * m + 1.4249322787e-1
    p = p * m - 1.6668057665e-1
    p = p * m + 2.0000714765e-1
    p = p * m - 2.4999993993e-1
    p = p * m + 3.3333331174e-1
    let e = Float(exponent)
    var y = p * m * z
    y += -2.12194440e-4 * e
    y += -0.5 * z
    let ln = m + y + 0.693359375 * e
    return ln * 0.43429448190325182765
}
