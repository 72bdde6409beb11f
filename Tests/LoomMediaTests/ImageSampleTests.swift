import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// The photos in Samples/images/ (see Samples/images/README.md for source and truth).
@Suite("Sample images")
struct ImageSampleTests {
    let decoder = ImageDecoder()

    @Test(arguments: [
        ("chelsea.jpg", 451, 300), ("coffee.jpg", 600, 400), ("astronaut.png", 256, 256),
        ("rocket.jpg", 640, 427), ("hopper.jpg", 128, 128), ("hopper_gray.jpg", 128, 128),
        ("hopper_orientation_6.jpg", 128, 128),
    ])
    func decodesAtItsSize(file: String, width: Int, height: Int) throws {
        let image = try decoder.decode(contentsOf: Fixtures.sample("images/\(file)"))
        #expect(image.width == width)
        #expect(image.height == height)
        #expect(image.pixels.count == width * height * 3)
    }

    /// Pillow's own test (Tests/test_imageops.py, test_exif_transpose) accepts a mean difference of
    /// up to 17 between hopper.jpg and each hopper_orientation_N.jpg once the tag is applied.
    @Test func rotatedHopperComesOutUpright() throws {
        let upright = try decoder.decode(contentsOf: Fixtures.sample("images/hopper.jpg"))
        let rotated = try decoder.decode(contentsOf: Fixtures.sample("images/hopper_orientation_6.jpg"))
        let diff = pixelDiff(rotated.pixels, upright.pixels)
        print("hopper_orientation_6 vs hopper: meandiff \(diff.mean)")
        #expect(diff.mean <= 17)
    }

    /// Grayscale JPEGs come out with R == G == B.
    @Test func grayStaysGray() throws {
        let image = try decoder.decode(contentsOf: Fixtures.sample("images/hopper_gray.jpg"))
        var colored = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let (r, g, b) = (image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
            if r != g || r != b { colored += 1 }
        }
        #expect(colored == 0)
    }
}
