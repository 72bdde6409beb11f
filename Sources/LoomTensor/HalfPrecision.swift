/// Conversions from the 16-bit float formats that weight files store to float32.
public enum HalfPrecision {
    /// IEEE 754 binary16 (F16) bit patterns to float32, including subnormals, infinities and NaN.
    @inlinable
    public static func f16ToFloat(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// bfloat16 is the top half of a float32: shift it back into place.
    @inlinable
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float32 to binary16, rounding to nearest even (for writers and tests).
    @inlinable
    public static func floatToF16(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// Converts `count` F16 values at `source` into `destination`.
    public static func convertF16(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            destination[i] = f16ToFloat(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }

    /// Converts `count` BF16 values at `source` into `destination`.
    public static func convertBF16(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            destination[i] = bf16ToFloat(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }
}
