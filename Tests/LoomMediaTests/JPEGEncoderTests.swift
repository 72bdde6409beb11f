import Foundation
import LoomMedia
import LoomTestSupport
import Testing

@Suite("JPEG encoding")
struct JPEGEncoderTests {
    @Test("an encoded image decodes back to its size and, near enough, its pixels")
    func roundTrip() throws {
        let original = try ImageDecoder().decode(contentsOf: Fixtures.sample("images/hopper.jpg"))
        let data = try JPEGEncoder.encode(original, quality: 95)
        #expect(data.starts(with: [0xFF, 0xD8]))
        let decoded = try ImageDecoder().decode(data: data, name: "encoded.jpg")
        #expect(decoded.width == original.width && decoded.height == original.height)
        let meanError = zip(decoded.pixels, original.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(original.pixels.count)
        print("JPEG q95 round trip: mean absolute error \(meanError) of 255")
        #expect(meanError < 4)
    }

    @Test("a larger image than libjpeg's buffer start grows it; lower quality makes smaller files")
    func growsAndQuality() throws {
        // 512x512 of noise compresses badly: far past the first 64 KB buffer.
        var generator = SystemRandomNumberGenerator()
        let noise = RGBImage(width: 512, height: 512, pixels: (0..<(512 * 512 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let high = try JPEGEncoder.encode(noise, quality: 95)
        let low = try JPEGEncoder.encode(noise, quality: 20)
        #expect(high.count > 1 << 16)
        #expect(low.count < high.count)
        #expect(try ImageDecoder().decode(data: high, name: "noise.jpg").width == 512)
    }

    @Test("an empty image is refused with a message, not a crash")
    func emptyImage() {
        #expect(throws: ImageEncodingError.self) { try JPEGEncoder.encode(RGBImage(width: 0, height: 0, pixels: [])) }
    }
}
