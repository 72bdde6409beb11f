import CLoomKernels
import LoomTensor

// GELU with erf, as PyTorch's vectorized CPU kernel computes it: erf by Abramowitz & Stegun 7.1.26
// (|error| <= 1.5e-7; aten/src/ATen/cpu/vec/vec256/vec256_float.h, Vectorized<float>::erf) and exp by
// Cephes' expf range reduction and polynomial. Unlike a call to libm's erff per element, every step is
// inline arithmetic, so the compiler vectorizes the loop; GELU was a fifth of BERT's run time with erff.

enum BERTGELU {
    /// Floats per parallel chunk.
    static let elementsPerChunk = 1 << 15

    /// 0.5 x (1 + erf(x / sqrt 2)) on `count` floats, in place, by CLoomKernels' vectorized body
    /// (encoder_elementwise.c, the same erf and exp as `gelu` below, AVX2 when the CPU has it).
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        ComputeThreads.forEachChunk(count, minimumPerChunk: elementsPerChunk) { range in
            loom_encoder_bias_gelu(x + range.lowerBound, nil, 1, Int64(range.count))
        }
    }

    /// GELU(x + bias) on `rows` rows of `cols` floats, in place; `bias` has `cols` floats.
    static func apply(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, cols: Int) {
        ComputeThreads.forEachChunk(rows, minimumPerChunk: max(1, elementsPerChunk / max(cols, 1))) { range in
            loom_encoder_bias_gelu(x + range.lowerBound * cols, bias, Int64(range.count), Int64(cols))
        }
    }

    /// The scalar definition the C kernel follows (kept as the readable reference for tests).
    @inline(__always)
    static func gelu(_ v: Float) -> Float {
        0.5 * v * (1 + erf(v * 0.70710678118654752))
    }

    @inline(__always)
    static func erf(_ z: Float) -> Float {
        let a = abs(z)
        let t = 1 / (1 + 0.3275911 * a)
        var p: Float = 1.061405429
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let y = 1 - p * t * expNonPositive(-a * a)
        return z < 0 ? -y : y
    }

    /// e^x for x <= 0 (relative error about 1e-7); below -87 the result is about 2^-126, not 0, which
    /// the erf above multiplies by a factor under 1 and subtracts from 1, so it never shows.
    @inline(__always)
    static func expNonPositive(_ x: Float) -> Float {
        let x = max(x, -87)
        // Round to nearest by adding and removing 1.5 * 2^23 (|x log2 e| < 126 here): baseline x86-64
        // has no vector rounding instruction, and a call to rintf per lane would break the vector loop.
        let shifted = x * 1.44269504088896341 + 12582912
        let n = shifted - 12582912
        let r = x - n * 0.693359375 + n * 2.12194440e-4  // x - n ln 2, in two parts (Cephes C1, C2)
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let e = p * r * r + r + 1
        return e * Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n) + 127) << 23)
    }
}
