import LoomCheck
import LoomMedia

/// Rescale and normalize, written channel-first: transformers' `rescale` then `normalize` on the PIL path
/// (transformers/image_transforms.py): `x = float32(float64(u8) * rescale_factor)`, then in float32
/// `(x - mean[c]) / std[c]`. A pixel is a byte, so each channel is a 256-entry table computed that way once.
public struct PixelNormalization: Sendable, Equatable {
    public let doRescale: Bool
    public let rescaleFactor: Double
    public let doNormalize: Bool
    public let mean: [Double]
    public let std: [Double]
    /// 3 x 256 values: the output for byte b in channel c at [c * 256 + b].
    let table: [Float]

    /// `mean` and `std` hold 3 values each (checked by `from(_:defaultMean:defaultStd:file:)`).
    init(doRescale: Bool, rescaleFactor: Double, doNormalize: Bool, mean: [Double], std: [Double]) {
        self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor
        self.doNormalize = doNormalize
        self.mean = mean
        self.std = std
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0 ..< 3 {
            for b in 0 ..< 256 {
                var x = doRescale ? Float(Double(b) * rescaleFactor) : Float(b)
                if doNormalize { x = (x - Float(mean[c])) / Float(std[c]) }
                table[c * 256 + b] = x
            }
        }
        self.table = table
    }

    /// Settings from a config with the family's defaults for missing fields.
    static func from(_ config: PreprocessorConfig, defaultMean: [Double], defaultStd: [Double], file: String) throws -> PixelNormalization {
        let mean = config.imageMean?.values ?? defaultMean
        let std = config.imageStd?.values ?? defaultStd
        guard mean.count == 3 else {
            throw ImageProcessorError.invalidConfig(file: file, field: "image_mean", reason: "needs 3 values (R, G, B), got \(mean.count)")
        }
        guard std.count == 3, std.allSatisfy({ $0 != 0 && $0.isFinite }) else {
            throw ImageProcessorError.invalidConfig(file: file, field: "image_std", reason: "needs 3 finite non-zero values, got \(std)")
        }
        let factor = config.rescaleFactor ?? 1.0 / 255.0
        guard factor.isFinite else {
            throw ImageProcessorError.invalidConfig(file: file, field: "rescale_factor", reason: "must be a finite number")
        }
        return PixelNormalization(doRescale: config.doRescale ?? true, rescaleFactor: factor,
                                  doNormalize: config.doNormalize ?? true, mean: mean, std: std)
    }

    /// Writes the `height` x `width` window of `image` whose top-left corner is (`top`, `left`) as
    /// (3, height, width) floats at `out`. Pixels outside the image count as byte 0, as the zero padding
    /// of transformers' `center_crop` happens before rescaling.
    func write(_ image: RGBImage, top: Int, left: Int, height: Int, width: Int, into out: UnsafeMutableBufferPointer<Float>) {
        require(out.count >= 3 * height * width, "output buffer too small for \(height)x\(width) pixels")
        let plane = height * width
        table.withUnsafeBufferPointer { lut in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0 ..< height {
                    let sy = y + top
                    let rowInside = sy >= 0 && sy < image.height
                    for x in 0 ..< width {
                        let sx = x + left
                        let o = y * width + x
                        if rowInside && sx >= 0 && sx < image.width {
                            let p = (sy * image.width + sx) * 3
                            out[o] = lut[Int(src[p])]
                            out[plane + o] = lut[256 + Int(src[p + 1])]
                            out[2 * plane + o] = lut[512 + Int(src[p + 2])]
                        } else {
                            out[o] = lut[0]
                            out[plane + o] = lut[256]
                            out[2 * plane + o] = lut[512]
                        }
                    }
                }
            }
        }
    }
}

extension ResampleFilter {
    /// The filter a config's `resample` names, or `fallback` when absent; unknown numbers are errors.
    static func from(_ value: Int?, fallback: ResampleFilter, file: String) throws -> ResampleFilter {
        guard let value else { return fallback }
        guard let filter = ResampleFilter(rawValue: value) else {
            throw ImageProcessorError.invalidConfig(
                file: file, field: "resample",
                reason: "is \(value), not a PIL resampling filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)")
        }
        return filter
    }
}

extension ImageSize {
    /// The largest size value accepted; far above any model's, small enough that size arithmetic cannot overflow.
    static let maxValue = 1 << 16

    /// Rejects zero, negative or absurdly large sizes with an error naming the field.
    func validated(field: String, file: String) throws -> ImageSize {
        if let bad = values.first(where: { $0 <= 0 || $0 > Self.maxValue }) {
            throw ImageProcessorError.invalidConfig(file: file, field: field, reason: "must be between 1 and \(Self.maxValue), got \(bad)")
        }
        return self
    }
}
