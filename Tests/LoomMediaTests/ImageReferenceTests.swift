import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// One decoded fixture as Pillow + transformers' convert_to_rgb see it, written by
/// Scripts/reference/dump_images.py into Tests/Fixtures/images/reference.json.
struct ImageReference: Decodable, Sendable, CustomStringConvertible {
    let file: String
    let width: Int
    let height: Int
    /// "pillow", or "high-byte" for 16-bit gray PNGs where Loom deliberately differs from Pillow.
    let kind: String
    let rgb: String

    var description: String { file }

    static func all() throws -> [ImageReference] {
        let data = try Data(contentsOf: Fixtures.url("images/reference.json"))
        return try JSONDecoder().decode([ImageReference].self, from: data)
    }

    func expectedPixels() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("images/\(rgb)")))
    }
}

/// Largest and mean absolute difference between two byte arrays of equal length.
func pixelDiff(_ a: [UInt8], _ b: [UInt8]) -> (max: Int, mean: Double) {
    precondition(a.count == b.count, "length mismatch: \(a.count) vs \(b.count)")
    var worst = 0
    var total = 0
    for i in a.indices {
        let d = abs(Int(a[i]) - Int(b[i]))
        worst = max(worst, d)
        total += d
    }
    return (worst, a.isEmpty ? 0 : Double(total) / Double(a.count))
}

@Suite("Image decoding matches Pillow")
struct ImageReferenceTests {
    let decoder = ImageDecoder()

    /// PNG is lossless and every conversion (16->8 high byte, palette, tRNS, compositing onto white
    /// with Pillow's integer formula) is replicated exactly, so PNGs must match byte for byte.
    /// JPEG goes through libjpeg-turbo on both sides (Debian 2.1 here, 3.x in Pillow's wheel) with the
    /// same islow IDCT and fancy upsampling; the inverted-CMYK conversion copies Pillow's cmyk2rgb.
    /// Tolerance for JPEG: max abs diff <= 2 and mean abs diff <= 0.05 (libjpeg-turbo versions may round
    /// differently in SIMD paths); measured values are printed.
    @Test(arguments: try ImageReference.all())
    func matchesReference(_ reference: ImageReference) throws {
        let url = Fixtures.url("images/\(reference.file)")
        let image = try decoder.decode(contentsOf: url)
        #expect(image.width == reference.width)
        #expect(image.height == reference.height)
        let expected = try reference.expectedPixels()
        try #require(image.pixels.count == expected.count)
        let diff = pixelDiff(image.pixels, expected)
        print("\(reference.file) (\(reference.kind)) maxdiff \(diff.max) meandiff \(diff.mean)")
        let bytes = try Data(contentsOf: url)
        if ImageFormat.detect(bytes) == .png {
            #expect(diff.max == 0, "PNG must decode exactly as Pillow")
        } else {
            #expect(diff.max <= 2)
            #expect(diff.mean <= 0.05)
        }
    }

    /// Independent of Pillow: every orientation-tagged copy of the cat becomes the same upright
    /// 96x64 picture (each was re-encoded, so allow JPEG noise: mean abs diff <= 3).
    @Test func allEightOrientationsComeOutUpright() throws {
        let upright = try decoder.decode(contentsOf: Fixtures.url("images/chelsea_orientation_1.jpg"))
        for orientation in 2...8 {
            let image = try decoder.decode(contentsOf: Fixtures.url("images/chelsea_orientation_\(orientation).jpg"))
            #expect(image.width == 96 && image.height == 64, "orientation \(orientation)")
            let diff = pixelDiff(image.pixels, upright.pixels)
            print("orientation \(orientation) vs upright: meandiff \(diff.mean)")
            #expect(diff.mean <= 3, "orientation \(orientation)")
        }
        let png = try decoder.decode(contentsOf: Fixtures.url("images/chelsea_orientation_6.png"))
        let plain = try decoder.decode(contentsOf: Fixtures.url("images/chelsea.png"))
        #expect(png == plain, "PNG eXIf orientation 6 is applied exactly")
    }

    /// The format comes from the bytes: a PNG named .jpg decodes as the PNG.
    @Test func formatComesFromBytesNotExtension() throws {
        let renamed = try decoder.decode(contentsOf: Fixtures.url("images/png_named_as.jpg"))
        let original = try decoder.decode(contentsOf: Fixtures.url("images/chelsea.png"))
        #expect(renamed == original)
    }
}
