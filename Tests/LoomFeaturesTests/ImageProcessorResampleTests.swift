import LoomFeatures
import LoomMedia
import Testing

/// PillowResampler against Pillow's own `Image.resize` output: every filter, up- and downscaling,
/// odd and tiny sizes. Tolerance: none (bytes must be equal).
@Suite struct ImageProcessorResampleTests {
    static let filters: [String: ResampleFilter] = [
        "nearest": .nearest, "lanczos": .lanczos, "bilinear": .bilinear, "bicubic": .bicubic, "box": .box, "hamming": .hamming,
    ]

    @Test func matchesPillowExactly() throws {
        let cases = ImageProcessorFixtures.manifest.resample
        #expect(cases.count >= 25)
        var worst = 0
        for c in cases {
            let source = try ImageProcessorFixtures.input(c.input)
            let filter = try #require(Self.filters[c.filter])
            let ours = try PillowResampler.resize(source, width: c.width, height: c.height, filter: filter)
            let reference = try ImageProcessorFixtures.bytes(c.file)
            #expect(ours.width == c.width && ours.height == c.height)
            #expect(ours.pixels.count == reference.count, "\(c.file)")
            guard ours.pixels.count == reference.count else { continue }
            var diff = 0, mismatches = 0
            for i in reference.indices where ours.pixels[i] != reference[i] {
                diff = max(diff, abs(Int(ours.pixels[i]) - Int(reference[i])))
                mismatches += 1
            }
            #expect(mismatches == 0, "\(c.file): \(mismatches) bytes differ, max \(diff)")
            worst = max(worst, diff)
        }
        print("resample max byte diff vs Pillow", worst, "over", cases.count, "cases")
    }

    @Test func sameSizeIsIdentity() throws {
        let image = try ImageProcessorFixtures.input("rocket-tiny-37x20")
        #expect(try PillowResampler.resize(image, width: 37, height: 20, filter: .lanczos) == image)
    }

    @Test func rejectsEmptyAndDegenerateSizes() throws {
        let empty = RGBImage(width: 0, height: 5, pixels: [])
        #expect(throws: ImageProcessorError.emptyImage(width: 0, height: 5)) {
            try PillowResampler.resize(empty, width: 4, height: 4, filter: .bicubic)
        }
        let image = try ImageProcessorFixtures.input("rocket-tiny-37x20")
        #expect(throws: ImageProcessorError.degenerateResize(fromWidth: 37, fromHeight: 20, toWidth: 0, toHeight: 3)) {
            try PillowResampler.resize(image, width: 0, height: 3, filter: .bicubic)
        }
        #expect(throws: ImageProcessorError.outputTooLarge(width: 1 << 20, height: 1 << 20)) {
            try PillowResampler.resize(image, width: 1 << 20, height: 1 << 20, filter: .bicubic)
        }
    }
}
