// exp, erf and tanh on four floats at a time, for softmax and the GELU / sigmoid activations, which
// otherwise spend most of their time in scalar libm calls (expf, erff, tanhf: a quarter of a SigLIP
// image encode). The package builds for baseline x86-64, so SIMD4 (one SSE register) is the width.
//
// exp: Cephes' expf (range reduction by ln 2 in two parts, degree-6 polynomial, 2^n from the exponent
// bits), within 2 ulp of expf; below -87.3 (where expf goes subnormal) the result is 0, as
// exp(-inf) must be for masked softmax entries; above 88.72 it is +inf as expf's (between 88.3 and
// 88.72 it stays at exp(88.3), far beyond any softmax or activation input); NaN stays NaN.
// erf: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), the formula PyTorch's vectorized CPU erf uses
// (aten/src/ATen/cpu/vec/vec256/vec256_float.h).
// tanh: 1 - 2 / (1 + exp(2x)), |error| < 1.2e-7.

enum VectorMath {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    /// The first `count` (< 4) floats at `p`, zeros after.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, count: Int) -> SIMD4<Float> {
        var v = SIMD4<Float>()
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    @inline(__always)
    static func storePartial(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { p[i] = v[i] }
    }

    @inline(__always)
    static func exp(_ x: SIMD4<Float>) -> SIMD4<Float> {
        let underflow = x .< -87.3
        // Comparisons and blends (not clamped(), which compiles to generic calls).
        let clamped = x.replacing(with: -87.3, where: underflow).replacing(with: 88.3, where: x .> 88.3)
        // n = round(x / ln 2) by the 1.5 * 2^23 trick: adding it leaves n in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = clamped * 1.44269504088896341 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p: SIMD4<Float> = SIMD4(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * (r * r) + r + 1
        let exponent = unsafeBitCast(shifted, to: SIMD4<Int32>.self) &- unsafeBitCast(SIMD4<Float>(repeating: magic), to: SIMD4<Int32>.self)
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD4<Float>.self)
        // NaN stays NaN (the clamp would have made it finite).
        return (y * scale).replacing(with: 0, where: underflow)
            .replacing(with: .infinity, where: x .> 88.72283)  // where expf overflows
            .replacing(with: x, where: x .!= x)
    }

    @inline(__always)
    static func erf(_ x: SIMD4<Float>) -> SIMD4<Float> {
        let negative = x .< 0
        let a = x.replacing(with: -x, where: negative)
        let t = 1 / (a * 0.3275911 + 1)
        var p: SIMD4<Float> = SIMD4(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let y = 1 - p * t * exp(-(a * a))
        return y.replacing(with: -y, where: negative)
    }

    @inline(__always)
    static func tanh(_ x: SIMD4<Float>) -> SIMD4<Float> {
        1 - 2 / (exp(x + x) + 1)
    }

    /// Applies `f` to `count` floats in place, four at a time (the tail through a zero-padded vector,
    /// so every element gets the same arithmetic).
    @inline(__always)
    static func map(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ f: (SIMD4<Float>) -> SIMD4<Float>) {
        var i = range.lowerBound
        while i + 4 <= range.upperBound {
            store(f(load(x + i)), x + i)
            i += 4
        }
        if i < range.upperBound {
            let rest = range.upperBound - i
            storePartial(f(loadPartial(x + i, count: rest)), x + i, count: rest)
        }
    }
}
