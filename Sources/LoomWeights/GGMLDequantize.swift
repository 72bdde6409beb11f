import LoomTensor

/// Block dequantization for ggml types, following ggml's `dequantize_row_*`
/// (ggml/src/ggml-quants.c) and checked against the gguf Python package (gguf/quants.py).
/// The float operations happen in the same order as the reference, so results are bit-identical.
public enum GGMLDequantize {
    /// Dequantizes `count` elements (a whole number of blocks) of `type` from `source` into `out`.
    /// Returns false when the type has no dequantizer here.
    public static func dequantize(_ type: GGMLType, _ source: UnsafeRawPointer, count: Int,
                                  into out: UnsafeMutablePointer<Float>) -> Bool {
        if let plain = type.plainDType {
            return convertToFloat(plain, source, count: count, into: out)
        }
        let (blockElements, blockBytes) = type.blockLayout
        let blocks = count / blockElements
        for b in 0..<blocks {
            let block = source + b * blockBytes
            let y = out + b * blockElements
            switch type {
            case .q4_0: q4_0(block, y)
            case .q4_1: q4_1(block, y)
            case .q8_0: q8_0(block, y)
            case .q4_K: q4_K(block, y)
            case .q5_K: q5_K(block, y)
            case .q6_K: q6_K(block, y)
            default: return false
            }
        }
        return true
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.f16ToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// block_q4_0: f16 d, 16 bytes of nibbles; low nibbles are elements 0..15, high 16..31.
    static func q4_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0)
        for j in 0..<16 {
            let q = byte(b, 2 + j)
            y[j] = d * Float(Int(q & 0x0F) - 8)
            y[j + 16] = d * Float(Int(q >> 4) - 8)
        }
    }

    /// block_q4_1: f16 d, f16 m, 16 bytes of nibbles; x = d * q + m.
    static func q4_1(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0), m = half(b, 2)
        for j in 0..<16 {
            let q = byte(b, 4 + j)
            y[j] = d * Float(q & 0x0F) + m
            y[j + 16] = d * Float(q >> 4) + m
        }
    }

    /// block_q8_0: f16 d, 32 int8; x = q * d.
    static func q8_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0)
        for j in 0..<32 {
            y[j] = Float(b.load(fromByteOffset: 2 + j, as: Int8.self)) * d
        }
    }

    /// The 6-bit scale and min of sub-block `j` from the 12 packed bytes at `s` (ggml's
    /// `get_scale_min_k4`).
    @inline(__always)
    static func scaleMin(_ j: Int, _ s: UnsafeRawPointer) -> (scale: Float, min: Float) {
        if j < 4 {
            return (Float(byte(s, j) & 63), Float(byte(s, j + 4) & 63))
        }
        let scale = (byte(s, j + 4) & 0x0F) | ((byte(s, j - 4) >> 6) << 4)
        let min = (byte(s, j + 4) >> 4) | ((byte(s, j) >> 6) << 4)
        return (Float(scale), Float(min))
    }

    /// block_q4_K: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles;
    /// eight sub-blocks of 32, x = d * scale * q - dmin * min.
    static func q4_K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0), dmin = half(b, 2)
        let scales = b + 4, qs = b + 16
        for j in 0..<4 {
            let (sc1, m1) = scaleMin(2 * j, scales)
            let (sc2, m2) = scaleMin(2 * j + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            for l in 0..<32 {
                let q = byte(qs, 32 * j + l)
                y[64 * j + l] = d1 * Float(q & 0x0F) - min1
                y[64 * j + 32 + l] = d2 * Float(q >> 4) - min2
            }
        }
    }

    /// block_q5_K: as Q4_K plus 32 bytes `qh` whose bit i is the fifth bit of sub-block i.
    static func q5_K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0), dmin = half(b, 2)
        let scales = b + 4, qh = b + 16, qs = b + 48
        for j in 0..<4 {
            let (sc1, m1) = scaleMin(2 * j, scales)
            let (sc2, m2) = scaleMin(2 * j + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            for l in 0..<32 {
                let q = byte(qs, 32 * j + l), h = byte(qh, l)
                let low = (q & 0x0F) | (((h >> (2 * j)) & 1) << 4)
                let high = (q >> 4) | (((h >> (2 * j + 1)) & 1) << 4)
                y[64 * j + l] = d1 * Float(low) - min1
                y[64 * j + 32 + l] = d2 * Float(high) - min2
            }
        }
    }

    /// block_q6_K: 128 bytes low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, f16 d;
    /// x = d * scale[i / 16] * (q - 32).
    static func q6_K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let ql = b, qh = b + 128, scales = b + 192
        let d = half(b, 208)
        for half in 0..<2 {
            for r in 0..<128 {
                let i = half * 128 + r
                let low = (byte(ql, half * 64 + r % 64) >> UInt8((r / 64) * 4)) & 0x0F
                let high = (byte(qh, half * 32 + r % 32) >> UInt8((r / 32) * 2)) & 0x03
                let q = Int(low | (high << 4)) - 32
                let scale = Float(scales.load(fromByteOffset: i / 16, as: Int8.self))
                y[i] = (d * scale) * Float(q)
            }
        }
    }
}
