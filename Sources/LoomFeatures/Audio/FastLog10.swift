/// log10 for positive, finite, normal floats in branch-free arithmetic (bit operations, selects, one
/// division, no calls), so that LLVM's loop vectorizer turns a loop of it into SIMD code: glibc's scalar
/// log10f was the slowest step of a long spectrogram. (Swift's SIMD types lowered the same code worse:
/// vector-with-scalar operators and masked selects became per-lane code.)
///
/// x = 2^e * m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| < 0.172,
/// summed as 2 s (1 + s^2/3 + s^4/5 + s^6/7) (truncation error < 3e-8; the approach of Cephes and fdlibm
/// `logf`, https://github.com/jeremybarnes/cephes/blob/master/single/logf.c). log10(2) is split in a
/// short high part, exact when multiplied by e, and a low part. Absolute error below 1e-6 (about one
/// float ulp at |log10 x| = 10) for [1e-10, 1e6], the range log-mel values take (tested against
/// Foundation's log10).
@inline(__always)
func fastLog10(_ x: Float) -> Float {
    let bits = x.bitPattern
    // The biased exponent as a float without an int-to-float conversion: 2^23 + e has e in its low bits.
    var exponent = Float(bitPattern: (bits >> 23) | 0x4B00_0000) - (8_388_608 + 127)
    // Mantissa in [1, 2), then halved (exponent + 1) when above sqrt(2).
    var m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
    let aboveSqrtTwo = m > 1.41421356237309504880
    exponent = aboveSqrtTwo ? exponent + 1 : exponent
    m = aboveSqrtTwo ? m * 0.5 : m
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    let series = 1 + s2 * (0.333333333333 + s2 * (0.2 + s2 * 0.142857142857))
    // 2 / ln 10 turns 2 atanh into log10.
    let log10Mantissa = s * series * 0.868588963806503655302
    return exponent * 0.301025390625 + (log10Mantissa + exponent * 4.6050389811952113e-6)
}
