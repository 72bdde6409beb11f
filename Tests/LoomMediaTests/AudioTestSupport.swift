import Foundation
import LoomTestSupport

/// Helpers shared by the Audio*Tests files: a tiny WAV writer for inputs the tests make themselves,
/// and the statistics the comparisons use.
enum AudioTestSupport {
    enum Encoding { case pcm16, pcm24, pcm32, float32 }

    /// Writes interleaved `samples` (in [-1, 1]) as a WAV file; integers are rounded and clipped.
    static func writeWAV(_ samples: [Float], channels: Int, sampleRate: Int, encoding: Encoding, to url: URL) throws {
        let bytesPerSample = encoding == .pcm16 ? 2 : encoding == .pcm24 ? 3 : 4
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        let dataBytes = samples.count * bytesPerSample
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + dataBytes)); data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); append(UInt32(16))
        append(UInt16(encoding == .float32 ? 3 : 1)); append(UInt16(channels)); append(UInt32(sampleRate))
        append(UInt32(sampleRate * channels * bytesPerSample)); append(UInt16(channels * bytesPerSample))
        append(UInt16(bytesPerSample * 8))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(dataBytes))
        for sample in samples {
            switch encoding {
            case .pcm16: append(Int16(clamping: Int((sample * 32768).rounded())))
            case .pcm24:
                let value = Int32(clamping: Int((sample * 8_388_608).rounded())).clamped(to: -8_388_608...8_388_607)
                withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0.prefix(3)) }
            case .pcm32: append(Int32(clamping: Int64((Double(sample) * 2_147_483_648).rounded())))
            case .float32: append(sample.bitPattern)
            }
        }
        try data.write(to: url)
    }

    /// Pearson correlation of two equally long signals.
    static func correlation(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        precondition(a.count == b.count)
        let meanA = a.reduce(0.0) { $0 + Double($1) } / Double(a.count)
        let meanB = b.reduce(0.0) { $0 + Double($1) } / Double(b.count)
        var (ab, aa, bb) = (0.0, 0.0, 0.0)
        for (x, y) in zip(a, b) {
            let (dx, dy) = (Double(x) - meanA, Double(y) - meanB)
            ab += dx * dy; aa += dx * dx; bb += dy * dy
        }
        return ab / (aa * bb).squareRoot()
    }

    static func rms<C: Collection>(_ values: C) -> Double where C.Element == Float {
        (values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count)).squareRoot()
    }

    /// RMS of the difference over the first `count` samples of both.
    static func rmsDifference(_ a: [Float], _ b: [Float], count: Int) -> Double {
        rms((0..<count).map { a[$0] - b[$0] })
    }

    /// FNV-1a 64 over little-endian int16 values, as Scripts/reference/dump_audio.py computes it.
    static func fnv1a64(int16Of samples: [Float]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for sample in samples {
            let value = UInt16(bitPattern: Int16(sample * 32768))
            for byte in [UInt8(value & 0xFF), UInt8(value >> 8)] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    struct WAVReference: Decodable {
        struct Slice: Decodable { let start: Int; let values: [Float] }
        let sample_rate: Int
        let count: Int
        let sum: Double
        let sum_of_squares: Double
        let fnv1a64_int16: String
        let slices: [Slice]
    }

    /// Tests/Fixtures/audio/wav_reference.json, written by Scripts/reference/dump_audio.py.
    static func wavReference() throws -> [String: WAVReference] {
        try JSONDecoder().decode([String: WAVReference].self, from: Data(contentsOf: Fixtures.url("audio/wav_reference.json")))
    }
}

private extension Int32 {
    func clamped(to range: ClosedRange<Int32>) -> Int32 { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
