// Fast dot products of ggml blocks with a float32 vector, on SSE-width vectors without the
// element-wise integer-to-float conversions Swift's generic SIMD initializers compile to calls.
//
// A block's 16 (Q4) or 32 (Q8) bytes are read as 32-bit words: lane i of word vector w holds
// bytes 4i..4i+3. Byte k of every lane is (w >> 8k) & 0xFF, so lane i of that vector belongs to
// element 4i + k. The activation vector is permuted once per product to the same order
// (`permute`), which makes every step a plain lane-wise multiply-add. Bytes become floats exactly
// through the exponent trick: bits 0x4B000000 | n is the float 2^23 + n for n < 2^23.

enum QuantizedVectorDot {
    /// x'[b*32 + h*16 + k*4 + i] = x[b*32 + h*16 + 4i + k]: the lane order of the word vectors.
    static func permute(_ x: UnsafePointer<Float>, cols: Int, into out: UnsafeMutablePointer<Float>) {
        var base = 0
        while base < cols {
            for h in 0..<2 {
                for k in 0..<4 {
                    for i in 0..<4 { out[base + h * 16 + k * 4 + i] = x[base + h * 16 + 4 * i + k] }
                }
            }
            base += 32
        }
    }

    /// f16 to float32 without a library call: exact for zero, subnormal and normal values
    /// (the f16 payload placed in a float32 is the value times 2^-112); infinities and NaN go
    /// through the standard conversion.
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        let h = UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        if h & 0x7C00 == 0x7C00 { return HalfPrecision.f16ToFloat(UInt16(h)) }
        let magnitude = Float(bitPattern: (h & 0x7FFF) << 13) * 0x1p112
        return h & 0x8000 == 0 ? magnitude : -magnitude
    }

    @inline(__always)
    static func floats(_ bits: SIMD4<UInt32>) -> SIMD4<Float> {
        unsafeBitCast(bits | 0x4B00_0000, to: SIMD4<Float>.self) - 8_388_608
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    /// Sum over one block's 32 elements of nibble * x' (the raw 0...15 values).
    @inline(__always)
    static func nibbleDot(_ words: SIMD4<UInt32>, _ x: UnsafePointer<Float>) -> SIMD4<Float> {
        var s = floats(words & 0x0F) * load(x)
        s += floats((words &>> 8) & 0x0F) * load(x + 4)
        s += floats((words &>> 16) & 0x0F) * load(x + 8)
        s += floats((words &>> 24) & 0x0F) * load(x + 12)
        s += floats((words &>> 4) & 0x0F) * load(x + 16)
        s += floats((words &>> 12) & 0x0F) * load(x + 20)
        s += floats((words &>> 20) & 0x0F) * load(x + 24)
        s += floats((words &>> 28) & 0x0F) * load(x + 28)
        return s
    }

    @inline(__always)
    static func blockSum(_ x: UnsafePointer<Float>) -> SIMD4<Float> {
        ((load(x) + load(x + 4)) + (load(x + 8) + load(x + 12))) + ((load(x + 16) + load(x + 20)) + (load(x + 24) + load(x + 28)))
    }

    /// Q4_0 row with permuted x: sum d * (q - 8) * x = d * (sum q x - 8 sum x).
    static func q4_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = SIMD4<Float>()
        for b in 0..<blocks {
            let block = row + 18 * b
            let xb = x + 32 * b
            let words = block.loadUnaligned(fromByteOffset: 2, as: SIMD4<UInt32>.self)
            acc += half(block, 0) * (nibbleDot(words, xb) - 8 * blockSum(xb))
        }
        return acc.sum()
    }

    /// Q4_1 row with permuted x: sum (d q + m) x = d * sum q x + m * sum x.
    static func q4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = SIMD4<Float>()
        for b in 0..<blocks {
            let block = row + 20 * b
            let xb = x + 32 * b
            let words = block.loadUnaligned(fromByteOffset: 4, as: SIMD4<UInt32>.self)
            acc += half(block, 0) * nibbleDot(words, xb) + half(block, 2) * blockSum(xb)
        }
        return acc.sum()
    }

    /// Q8_0 row with permuted x. Signed bytes flip their top bit to become q + 128.
    static func q8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = SIMD4<Float>()
        for b in 0..<blocks {
            let block = row + 34 * b
            let xb = x + 32 * b
            var s = SIMD4<Float>()
            for h in 0..<2 {
                let words = block.loadUnaligned(fromByteOffset: 2 + 16 * h, as: SIMD4<UInt32>.self) ^ 0x8080_8080
                let xh = xb + 16 * h
                s += (floats(words & 0xFF) - 128) * load(xh)
                s += (floats((words &>> 8) & 0xFF) - 128) * load(xh + 4)
                s += (floats((words &>> 16) & 0xFF) - 128) * load(xh + 8)
                s += (floats(words &>> 24) - 128) * load(xh + 12)
            }
            acc += half(block, 0) * s
        }
        return acc.sum()
    }
}
