import CLoomKernels
import LoomTensor

// GELU with erf, as PyTorch's vectorized CPU kernel computes it: erf by Abramowitz & Stegun 7.1.26
// (|error| <= 1.5e-7; aten/src/ATen/cpu/vec/vec256/vec256_float.h, Vectorized<float>::erf), fused with
// the bias add that follows each intermediate product (CLoomKernels' encoder_elementwise.c, AVX2 when
// the CPU has it). The kernel is checked against the double-precision definition in BERTKernelTests.

enum BERTGELU {
    /// Floats per parallel chunk.
    static let elementsPerChunk = 1 << 15

    /// GELU(x + bias) on `rows` rows of `cols` floats, in place; `bias` has `cols` floats.
    static func apply(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, cols: Int) {
        ComputeThreads.forEachChunk(rows, minimumPerChunk: max(1, elementsPerChunk / max(cols, 1))) { range in
            loom_encoder_bias_gelu(x + range.lowerBound * cols, bias, Int64(range.count), Int64(cols))
        }
    }
}
