import LoomMedia

/// Resizes 8-bit RGB images bit-exactly as Pillow's `Image.resize` does (Pillow 13.0.0, no `box`, no
/// `reducing_gap`), which is what transformers' PIL-backend image processors call.
///
/// Convolution filters follow src/libImaging/Resample.c: two separable passes, horizontal then vertical
/// (vertical first when the height shrinks much more than the width), each through a uint8 intermediate.
/// Kernel weights are computed in double, normalized to sum 1, then rounded to fixed point with `precisionBits` fractional bits; sums start at one half and are clipped to
/// 0...255 after the shift. When downscaling, the kernel support grows by the scale factor (antialiasing).
/// `.nearest` follows ImagingScaleAffine in src/libImaging/Geometry.c.
public enum PillowResampler {
    /// Pillow's PRECISION_BITS: 32 - 8 - 2, so 255 times a weight sum over 1 fits in Int32.
    static let precisionBits: Int32 = 22

    /// The largest output Loom resamples to, in pixels; larger requests are refused instead of exhausting memory.
    public static let maxOutputPixels = 1 << 26

    /// `image` resized to `width` x `height` with `filter`.
    /// Reference: Pillow 13.0.0 src/libImaging/Resample.c, ImagingResampleInner.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: ResampleFilter) throws -> RGBImage {
        guard image.width > 0, image.height > 0 else {
            throw ImageProcessorError.emptyImage(width: image.width, height: image.height)
        }
        guard width > 0, height > 0 else {
            throw ImageProcessorError.degenerateResize(fromWidth: image.width, fromHeight: image.height, toWidth: width, toHeight: height)
        }
        guard width.multipliedReportingOverflow(by: height).partialValue <= maxOutputPixels,
              width <= maxOutputPixels, height <= maxOutputPixels
        else {
            throw ImageProcessorError.outputTooLarge(width: width, height: height)
        }
        // Pillow returns a copy when the size does not change.
        if width == image.width && height == image.height { return image }
        if filter == .nearest { return nearest(image, width: width, height: height) }

        let needHorizontal = width != image.width
        let needVertical = height != image.height
        let horizontal = ConvolutionTable(inSize: image.width, outSize: width, filter: filter)
        var vertical = ConvolutionTable(inSize: image.height, outSize: height, filter: filter)

        // Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many
        // pixels as the width does; the uint8 intermediate makes the order visible in the output.
        let shrinkY = image.height - height, shrinkX = image.width - width
        let horizontalFirst = !(shrinkY > 0 && shrinkY > shrinkX * 2)
        if !horizontalFirst {
            var source = image
            if needVertical { source = verticalPass(source, table: vertical) }
            if needHorizontal { source = horizontalPass(source, firstRow: 0, rowCount: source.height, table: horizontal) }
            return source
        }
        var source = image
        if needHorizontal {
            // Only the source rows the vertical pass reads: Pillow's ybox_first ..< ybox_last.
            let firstRow = vertical.bounds[0]
            let rowCount = vertical.bounds[2 * height - 2] + vertical.bounds[2 * height - 1] - firstRow
            for i in 0 ..< height { vertical.bounds[2 * i] -= firstRow }
            source = horizontalPass(image, firstRow: firstRow, rowCount: rowCount, table: horizontal)
        }
        if needVertical {
            source = verticalPass(source, table: vertical)
        }
        return source
    }

    private static func horizontalPass(_ image: RGBImage, firstRow: Int, rowCount: Int, table: ConvolutionTable) -> RGBImage {
        let outWidth = table.outSize
        var out = [UInt8](repeating: 0, count: outWidth * rowCount * 3)
        let half: Int32 = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            table.weights.withUnsafeBufferPointer { weights in
                table.bounds.withUnsafeBufferPointer { bounds in
                    out.withUnsafeMutableBufferPointer { dst in
                        let inStride = image.width * 3
                        for y in 0 ..< rowCount {
                            let row = (y + firstRow) * inStride
                            let outRow = y * outWidth * 3
                            for xx in 0 ..< outWidth {
                                let xmin = bounds[2 * xx], count = bounds[2 * xx + 1]
                                let k = xx * table.kernelSize
                                var s0 = half, s1 = half, s2 = half
                                var p = row + xmin * 3
                                for x in 0 ..< count {
                                    let w = weights[k + x]
                                    s0 &+= Int32(src[p]) &* w
                                    s1 &+= Int32(src[p + 1]) &* w
                                    s2 &+= Int32(src[p + 2]) &* w
                                    p += 3
                                }
                                dst[outRow + xx * 3] = clip8(s0)
                                dst[outRow + xx * 3 + 1] = clip8(s1)
                                dst[outRow + xx * 3 + 2] = clip8(s2)
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: rowCount, pixels: out)
    }

    private static func verticalPass(_ image: RGBImage, table: ConvolutionTable) -> RGBImage {
        let stride = image.width * 3
        let outHeight = table.outSize
        var out = [UInt8](repeating: 0, count: stride * outHeight)
        // One row of Int32 sums, reused: integer sums are order-independent, so accumulating row by row
        // gives Pillow's per-pixel result while reading memory contiguously.
        var sums = [Int32](repeating: 0, count: stride)
        let half: Int32 = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            table.weights.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { dst in
                    sums.withUnsafeMutableBufferPointer { acc in
                        for yy in 0 ..< outHeight {
                            let ymin = table.bounds[2 * yy], count = table.bounds[2 * yy + 1]
                            for i in 0 ..< stride { acc[i] = half }
                            for y in 0 ..< count {
                                let w = weights[yy * table.kernelSize + y]
                                let row = (ymin + y) * stride
                                for i in 0 ..< stride { acc[i] &+= Int32(src[row + i]) &* w }
                            }
                            let outRow = yy * stride
                            for i in 0 ..< stride { dst[outRow + i] = clip8(acc[i]) }
                        }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: outHeight, pixels: out)
    }

    /// Pillow's clip8: the fixed-point sum shifted down (arithmetic shift), clamped to a byte.
    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    /// Nearest neighbour as ImagingScaleAffine: source coordinates accumulate `in / out` from half a step.
    private static func nearest(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        func table(inSize: Int, outSize: Int) -> [Int] {
            let step = Double(inSize) / Double(outSize)
            var position = step * 0.5
            var result = [Int](repeating: 0, count: outSize)
            for i in 0 ..< outSize {
                // COORD(v): -1 below zero, else truncation; out-of-range indices keep Pillow's fill (0).
                let index = position < 0 ? -1 : Int(position)
                result[i] = index >= 0 && index < inSize ? index : -1
                position += step
            }
            return result
        }
        let columns = table(inSize: image.width, outSize: width)
        let rows = table(inSize: image.height, outSize: height)
        var out = [UInt8](repeating: 0, count: width * height * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0 ..< height where rows[y] >= 0 {
                    let row = rows[y] * image.width * 3
                    for x in 0 ..< width where columns[x] >= 0 {
                        let s = row + columns[x] * 3, d = (y * width + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

/// Per output pixel: the first source index, the tap count, and `kernelSize` fixed-point weights.
/// Pillow's precompute_coeffs followed by normalize_coeffs_8bpc.
struct ConvolutionTable {
    let outSize: Int
    let kernelSize: Int
    var bounds: [Int]
    var weights: [Int32]

    init(inSize: Int, outSize: Int, filter: ResampleFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        var bounds = [Int](repeating: 0, count: outSize * 2)
        var weights = [Int32](repeating: 0, count: outSize * kernelSize)
        var k = [Double](repeating: 0, count: kernelSize)
        let one = Double(1 << PillowResampler.precisionBits)
        for xx in 0 ..< outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterScale
            // C's (int) cast truncates toward zero, as Swift's Int(Double) does.
            let xmin = max(Int(center - support + 0.5), 0)
            let count = min(Int(center + support + 0.5), inSize) - xmin
            var total = 0.0
            for x in 0 ..< kernelSize { k[x] = 0 }
            for x in 0 ..< max(count, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                total += w
            }
            for x in 0 ..< max(count, 0) where total != 0.0 { k[x] /= total }
            for x in 0 ..< kernelSize {
                weights[xx * kernelSize + x] = k[x] < 0 ? Int32(-0.5 + k[x] * one) : Int32(0.5 + k[x] * one)
            }
            bounds[2 * xx] = xmin
            bounds[2 * xx + 1] = max(count, 0)
        }
        self.outSize = outSize
        self.kernelSize = kernelSize
        self.bounds = bounds
        self.weights = weights
    }
}
