import CLoomKernels

// Per-row kernels on ggml blocks: dot products with float32 activations and row dequantization.
//
// Layouts and dequantization follow ggml (ggml/src/ggml-quants.c, `dequantize_row_q8_0/q4_0/q4_1`):
//   Q8_0: f16 d, 32 x int8 q                 x = d * q
//   Q4_0: f16 d, 16 bytes (low nibble = element j, high nibble = element j + 16)   x = d * (q - 8)
//   Q4_1: f16 d, f16 m, 16 bytes of nibbles as Q4_0                                  x = d * q + m
// These float32-activation kernels give the exact float product with the dequantized weights, up
// to summation order (`ActivationPrecision.float32`). The default integer path, which quantizes
// activations to 8-bit blocks as llama.cpp does (`ggml_vec_dot_q4_1_q8_1`), is in CLoomKernels.
// Public for model code that needs the same float32 dot product (e.g. attention over a KV cache).

public enum QuantizedBlocks {
    @inline(__always)
    static func floats16(_ x: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(x).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Sum over the row of w[j] * x[j], with w the dequantized row of `cols` elements.
    @inline(__always)
    static func dot(_ format: QuantizedFormat, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, cols: Int) -> Float {
        switch format {
        case .q8_0, .q4_0, .q4_1:
            // The fast path is QuantizedVectorDot (used by `multiply(vector:)`); this one dequantizes.
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: max(cols, 1)) { buffer in
                dequantizeRow(format, row, cols: cols, into: buffer.baseAddress!)
                return dotF32(buffer.baseAddress!, x, count: cols)
            }
        case .f32: return dotF32(row.assumingMemoryBound(to: Float.self), x, count: cols)
        case .f16, .bf16:
            // Converted through a stack buffer in slices, then a float dot product.
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { buffer in
                var sum: Float = 0
                var start = 0
                while start < cols {
                    let n = min(256, cols - start)
                    if format == .f16 {
                        HalfPrecision.convertF16(row + 2 * start, count: n, into: buffer.baseAddress!)
                    } else {
                        HalfPrecision.convertBF16(row + 2 * start, count: n, into: buffer.baseAddress!)
                    }
                    sum += dotF32(buffer.baseAddress!, x + start, count: n)
                    start += n
                }
                return sum
            }
        }
    }

    @inline(__always)
    public static func dotF32(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var j = 0
        while j + 32 <= count {
            acc0 += floats16(w + j) * floats16(x + j)
            acc1 += floats16(w + j + 16) * floats16(x + j + 16)
            j += 32
        }
        var sum = (acc0 + acc1).sum()
        while j < count { sum += w[j] * x[j]; j += 1 }
        return sum
    }

    /// One row to float32, bit-identical to ggml's dequantizers.
    static func dequantizeRow(_ format: QuantizedFormat, _ row: UnsafeRawPointer, cols: Int, into out: UnsafeMutablePointer<Float>) {
        switch format {
        case .f32:
            out.update(from: row.assumingMemoryBound(to: Float.self), count: cols)
        case .f16:
            HalfPrecision.convertF16(row, count: cols, into: out)
        case .bf16:
            HalfPrecision.convertBF16(row, count: cols, into: out)
        case .q8_0, .q4_0, .q4_1:
            // CLoomKernels (AVX2 at run time); tests compare it bit for bit with GGMLDequantize.
            loom_dequantize_row(format.kernelCode, row, Int64(cols), out)
        }
    }
}
