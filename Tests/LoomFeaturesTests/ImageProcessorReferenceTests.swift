import Foundation
import LoomFeatures
import LoomMedia
import LoomTensor
import LoomTestSupport
import Testing

/// Whole processors against transformers 5.24's PIL-backend processors on real photos.
/// Resizing is bit-exact (see ImageProcessorResampleTests), rescale/normalize use the reference's float
/// arithmetic, so the stated tolerance is 1e-5 and the measured difference is expected to be 0.
@Suite struct ImageProcessorReferenceTests {
    static let tolerance: Float = 1e-5

    @Test(arguments: ImageProcessorFixtures.manifest.cases.map(\.file))
    func matchesTransformers(file: String) throws {
        let c = try #require(ImageProcessorFixtures.manifest.cases.first { $0.file == file })
        let processor = try ImageProcessors.load(folder: ImageProcessorFixtures.configFolder(c.config))
        let result = try processor.process(try ImageProcessorFixtures.input(c.input))
        let values = result.pixelValues.data

        // CLIP/SigLIP references carry a batch dimension of 1; Idefics3's are (tiles, 3, S, S) already.
        #expect(result.pixelValues.shape == c.shape, "\(c.config) on \(c.input)")
        let sampled = Swift.stride(from: 0, to: values.count, by: c.stride).map { values[$0] }
        let reference = try Fixtures.floats("image-processors/\(c.file)")
        #expect(sampled.count == reference.count)
        guard sampled.count == reference.count else { return }
        let diff = maxAbsDiff(sampled, reference)
        print("image processor \(c.config) on \(c.input): maxdiff", diff, "over", sampled.count, "values (tolerance \(Self.tolerance))")
        #expect(diff <= Self.tolerance)

        // Whole-tensor statistics cover the values the stride skipped.
        let sum = values.reduce(0.0) { $0 + Double($1) }
        let absSum = values.reduce(0.0) { $0 + abs(Double($1)) }
        let slack = 1e-6 * max(c.stats.abs_sum, 1)
        #expect(abs(sum - c.stats.sum) <= slack, "sum \(sum) vs \(c.stats.sum)")
        #expect(abs(absSum - c.stats.abs_sum) <= slack, "abs sum \(absSum) vs \(c.stats.abs_sum)")
        #expect(Double(values.min() ?? 0) == c.stats.min && Double(values.max() ?? 0) == c.stats.max)

        if let rows = c.rows, let cols = c.cols {
            #expect(result.rows == rows && result.cols == cols, "grid \(result.rows)x\(result.cols) vs \(rows)x\(cols)")
        }
        if let tileSums = c.tile_sums {
            let tile = values.count / max(result.tileCount, 1)
            for (i, expected) in tileSums.enumerated() where i < result.tileCount {
                let ours = values[(i * tile) ..< ((i + 1) * tile)].reduce(0.0) { $0 + Double($1) }
                #expect(abs(ours - expected) <= 1e-6 * Double(tile), "tile \(i): \(ours) vs \(expected)")
            }
        }
    }

    @Test func idefics3BatchPadsTileCountsLikeTransformers() throws {
        let b = ImageProcessorFixtures.manifest.batch
        let processor = try #require(
            try ImageProcessors.load(folder: ImageProcessorFixtures.configFolder(b.config)) as? Idefics3ImageProcessor)
        let batch = try processor.processBatch(b.inputs.map(ImageProcessorFixtures.input))
        #expect(batch.pixelValues.shape == b.shape)
        #expect(batch.pixelAttentionMask.shape == b.mask_shape)
        #expect(batch.rows == b.rows && batch.cols == b.cols)
        let tiles = b.shape[1], tileValues = b.shape[2] * b.shape[3] * b.shape[4], maskValues = b.shape[3] * b.shape[4]
        for i in 0 ..< b.shape[0] {
            for t in 0 ..< tiles {
                let start = (i * tiles + t) * tileValues
                let sum = batch.pixelValues.data[start ..< start + tileValues].reduce(0.0) { $0 + Double($1) }
                #expect(abs(sum - b.tile_sums[i][t]) <= 1e-6 * Double(tileValues), "image \(i) tile \(t)")
                let maskStart = (i * tiles + t) * maskValues
                let maskSum = batch.pixelAttentionMask.data[maskStart ..< maskStart + maskValues].reduce(0, +)
                #expect(Int(maskSum) == b.mask_tile_sums[i][t], "mask image \(i) tile \(t)")
            }
        }
    }

    @Test func smolVLMTileLayoutForManySizes() throws {
        let base = try PreprocessorConfig.load(
            ImageProcessorFixtures.configFolder("smolvlm-256m-instruct").appendingPathComponent("preprocessor_config.json"))
        for expected in ImageProcessorFixtures.manifest.tile_counts {
            var config = base
            config.doImageSplitting = expected.split
            let processor = try Idefics3ImageProcessor(config: config, file: "smolvlm-256m-instruct")
            let plan = processor.plan(width: expected.width, height: expected.height)
            #expect(plan.tileCount == expected.tiles && plan.rows == expected.rows && plan.cols == expected.cols,
                    "\(expected.width)x\(expected.height) split=\(expected.split): \(plan)")
            #expect(processor.tileSize == expected.tile_size)
        }
    }
}
