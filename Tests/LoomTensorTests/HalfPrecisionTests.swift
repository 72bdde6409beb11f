import LoomTensor
import Testing

/// Bit-exact conversions: every value below has an exact float32 form.
@Suite struct HalfPrecisionTests {
    @Test func f16SpecialValues() {
        #expect(HalfPrecision.f16ToFloat(0x3C00) == 1)
        #expect(HalfPrecision.f16ToFloat(0xC000) == -2)
        #expect(HalfPrecision.f16ToFloat(0x7BFF) == 65504)  // largest finite
        #expect(HalfPrecision.f16ToFloat(0x0001) == Float(sign: .plus, exponent: -24, significand: 1))  // smallest subnormal
        #expect(HalfPrecision.f16ToFloat(0x03FF) == Float(0x3FF) * Float(sign: .plus, exponent: -24, significand: 1))  // largest subnormal
        #expect(HalfPrecision.f16ToFloat(0x0400) == Float(sign: .plus, exponent: -14, significand: 1))  // smallest normal
        #expect(HalfPrecision.f16ToFloat(0x7C00) == .infinity)
        #expect(HalfPrecision.f16ToFloat(0xFC00) == -.infinity)
        #expect(HalfPrecision.f16ToFloat(0x7E00).isNaN)
        #expect(HalfPrecision.f16ToFloat(0x7C01).isNaN)  // signalling NaN pattern
        let negativeZero = HalfPrecision.f16ToFloat(0x8000)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    @Test func bf16SpecialValues() {
        #expect(HalfPrecision.bf16ToFloat(0x3F80) == 1)
        #expect(HalfPrecision.bf16ToFloat(0xC0A0) == -5)
        #expect(HalfPrecision.bf16ToFloat(0x0001) == Float(bitPattern: 0x0001_0000))  // subnormal
        #expect(HalfPrecision.bf16ToFloat(0x0001).isSubnormal)
        #expect(HalfPrecision.bf16ToFloat(0x7F80) == .infinity)
        #expect(HalfPrecision.bf16ToFloat(0xFF80) == -.infinity)
        #expect(HalfPrecision.bf16ToFloat(0x7FC0).isNaN)
        #expect(HalfPrecision.bf16ToFloat(0x7F7F) == Float(bitPattern: 0x7F7F_0000))  // largest finite
    }

    @Test func f16RoundTripsEveryPattern() {
        for bits in UInt16.min...UInt16.max {
            let value = HalfPrecision.f16ToFloat(bits)
            if value.isNaN { continue }
            #expect(HalfPrecision.floatToF16(value) == bits, "pattern \(bits)")
        }
        // Rounding to nearest even: 1 + 2^-11 is halfway between 1 and the next f16; ties go to 1.
        #expect(HalfPrecision.floatToF16(1 + Float(sign: .plus, exponent: -11, significand: 1)) == 0x3C00)
        #expect(HalfPrecision.floatToF16(1e6) == 0x7C00, "overflow becomes infinity")
    }

    @Test func bulkConversions() {
        let f16: [UInt16] = [0x3C00, 0x0001, 0x7C00, 0xC000]
        let bf16: [UInt16] = [0x3F80, 0x0001, 0x7F80, 0xC0A0]
        var out = [Float](repeating: 0, count: 5)
        // Offset by one byte: the source need not be aligned.
        let bytes: [UInt8] = [0] + f16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { HalfPrecision.convertF16(raw.baseAddress! + 1, count: 4, into: $0.baseAddress!) }
        }
        #expect(Array(out.prefix(4)) == f16.map(HalfPrecision.f16ToFloat))
        #expect(out[4] == 0, "writes only count values")
        bf16.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { HalfPrecision.convertBF16(raw.baseAddress!, count: 4, into: $0.baseAddress!) }
        }
        #expect(Array(out.prefix(4)) == [1, Float(bitPattern: 0x0001_0000), .infinity, -5])
    }
}
