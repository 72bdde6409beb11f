import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// Damaged and unusual bytes: never a crash, only a decoded image or an ImageDecodingError.
@Suite("Image decoding robustness")
struct ImageRobustnessTests {
    let decoder = ImageDecoder()

    /// A small deterministic generator (SplitMix64) so the damaged files are the same on every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: ["chelsea.jpg", "chelsea_progressive.jpg", "chelsea_cmyk.jpg", "chelsea.png",
                      "chelsea_interlaced.png", "chelsea_palette_trns.png", "chelsea_orientation_6.jpg"])
    func truncatedAndFlippedBytesNeverCrash(file: String) throws {
        let original = [UInt8](try Data(contentsOf: Fixtures.url("images/\(file)")))
        var random = SplitMix(state: 42)
        var outcomes = (decoded: 0, failed: 0)
        func attempt(_ bytes: [UInt8]) {
            do {
                let image = try decoder.decode(data: Data(bytes), name: file)
                #expect(image.pixels.count == image.width * image.height * 3)
                outcomes.decoded += 1
            } catch let error as ImageDecodingError {
                #expect(error.name == file)
                outcomes.failed += 1
            } catch {
                Issue.record("\(file): unexpected error type \(error)")
            }
        }
        for cut in stride(from: 0, to: original.count, by: max(1, original.count / 60)) {
            attempt(Array(original[..<cut]))
        }
        for _ in 0..<60 {
            var damaged = original
            for _ in 0..<4 {
                damaged[Int.random(in: 0..<damaged.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            attempt(damaged)
        }
        print("\(file): \(outcomes.decoded) damaged copies decoded, \(outcomes.failed) refused")
        #expect(outcomes.failed > 0)
    }

    /// An APP1 segment holding a big-endian ("MM") TIFF with orientation 3 (Pillow writes
    /// little-endian, so this covers the other byte order): the image comes out rotated 180 degrees.
    @Test func bigEndianExifOrientation() throws {
        let jpeg = [UInt8](try Data(contentsOf: Fixtures.url("images/chelsea.jpg")))
        let plain = try decoder.decode(data: Data(jpeg), name: "chelsea.jpg")
        let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8,  // header, IFD0 at 8
                             0, 1,  // one entry
                             0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 3, 0, 0,  // Orientation SHORT x1 = 3
                             0, 0, 0, 0]  // no next IFD
        let payload = Array("Exif\0\0".utf8) + tiff
        let length = payload.count + 2
        let app1: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        let tagged = Array(jpeg[..<2]) + app1 + Array(jpeg[2...])
        let rotated = try decoder.decode(data: Data(tagged), name: "tagged.jpg")
        #expect(rotated == plain.applying(.rotated180))
        #expect(rotated != plain)

        // The same segment with its IFD offset pointing past the end is ignored, not fatal.
        var broken = tagged
        broken[2 + 4 + 6 + 7] = 0xF0
        #expect(try decoder.decode(data: Data(broken), name: "broken-exif.jpg") == plain)
    }

    @Test func formatDetection() {
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.detect([0xFF, 0xD8]) == nil)
        #expect(ImageFormat.detect(Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat.detect([UInt8]()) == nil)
    }

    /// Orientation transforms on a 3x2 image with distinct pixels; the expected layouts are what
    /// Pillow's Image.transpose gives for the method exif_transpose uses for each tag.
    @Test func orientationTransforms() {
        // Pixel values 1...6 laid out as   1 2 3
        //                                  4 5 6   (each pixel's R=G=B=value)
        let image = RGBImage(width: 3, height: 2, pixels: (1...6).flatMap { [UInt8($0), UInt8($0), UInt8($0)] })
        func values(_ o: ExifOrientation) -> (Int, Int, [UInt8]) {
            let out = image.applying(o)
            return (out.width, out.height, stride(from: 0, to: out.pixels.count, by: 3).map { out.pixels[$0] })
        }
        #expect(values(.up) == (3, 2, [1, 2, 3, 4, 5, 6]))
        #expect(values(.mirrored) == (3, 2, [3, 2, 1, 6, 5, 4]))
        #expect(values(.rotated180) == (3, 2, [6, 5, 4, 3, 2, 1]))
        #expect(values(.flippedVertically) == (3, 2, [4, 5, 6, 1, 2, 3]))
        #expect(values(.transposed) == (2, 3, [1, 4, 2, 5, 3, 6]))
        #expect(values(.rotatedClockwise) == (2, 3, [4, 1, 5, 2, 6, 3]))
        #expect(values(.transversed) == (2, 3, [6, 3, 5, 2, 4, 1]))
        #expect(values(.rotatedCounterClockwise) == (2, 3, [3, 6, 2, 5, 1, 4]))
    }
}
