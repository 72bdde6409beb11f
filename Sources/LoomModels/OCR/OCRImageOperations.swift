import Foundation
import LoomMedia
import LoomTensor

/// The OpenCV image operations RapidOCR applies, on 8-bit RGB images: `cv2.resize` (bilinear),
/// `cv2.warpPerspective` (bicubic, replicated border), the 90 and 180 degree rotations, and the
/// normalization into the networks' BGR input tensors. Results are rounded to 8 bits as OpenCV's are;
/// OpenCV's fixed-point arithmetic can differ from these float computations by one level per pixel.
/// Reference: https://github.com/opencv/opencv/blob/4.x/modules/imgproc/src/resize.cpp, imgwarp.cpp
enum OCRImageOperations {
    /// `cv2.resize(image, (width, height))` with INTER_LINEAR: half-pixel centres, no antialiasing,
    /// edge pixels repeated.
    static func resizeBilinear(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        if width == image.width && height == image.height { return image }
        func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
            let scale = Double(inSize) / Double(outSize)
            return (0..<outSize).map { o in
                var position = (Double(o) + 0.5) * scale - 0.5
                if position < 0 { position = 0 }
                var first = Int(position.rounded(.down))
                var weight = Float(position - Double(first))
                if first >= inSize - 1 {
                    first = inSize - 1
                    weight = 0
                }
                return (first, min(first + 1, inSize - 1), weight)
            }
        }
        let columns = taps(width, image.width), rows = taps(height, image.height)
        var out = [UInt8](repeating: 0, count: width * height * 3)
        image.pixels.withUnsafeBufferPointer { source in
            for (y, (top, bottom, dy)) in rows.enumerated() {
                for (x, (left, right, dx)) in columns.enumerated() {
                    for c in 0..<3 {
                        let p00 = Float(source[(top * image.width + left) * 3 + c]), p01 = Float(source[(top * image.width + right) * 3 + c])
                        let p10 = Float(source[(bottom * image.width + left) * 3 + c]), p11 = Float(source[(bottom * image.width + right) * 3 + c])
                        let upper = p00 + (p01 - p00) * dx, lower = p10 + (p11 - p10) * dx
                        out[(y * width + x) * 3 + c] = saturated(upper + (lower - upper) * dy)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The text line inside quadrilateral `corners` (top-left, top-right, bottom-right, bottom-left),
    /// straightened to `width` x `height`: `cv2.warpPerspective` with the transform taking the corners
    /// to the output's corners, INTER_CUBIC and BORDER_REPLICATE. OpenCV samples at 1/32 pixel steps.
    static func warpQuadrilateral(_ image: RGBImage, corners: [SIMD2<Double>], width: Int, height: Int) -> RGBImage {
        let target = [SIMD2<Double>(0, 0), SIMD2(Double(width), 0), SIMD2(Double(width), Double(height)), SIMD2(0, Double(height))]
        // The inverse map: output pixel -> source position.
        let toSource = Homography(from: target, to: corners)
        var out = [UInt8](repeating: 0, count: max(width, 0) * max(height, 0) * 3)
        image.pixels.withUnsafeBufferPointer { source in
            func pixel(_ x: Int, _ y: Int, _ c: Int) -> Float {
                let cx = min(max(x, 0), image.width - 1), cy = min(max(y, 0), image.height - 1)
                return Float(source[(cy * image.width + cx) * 3 + c])
            }
            for y in 0..<height {
                for x in 0..<width {
                    let p = toSource.apply(SIMD2(Double(x), Double(y)))
                    // OpenCV rounds the source position to 1/32 pixel (INTER_TAB_SIZE).
                    let qx = (p.x * 32).rounded(), qy = (p.y * 32).rounded()
                    guard qx.isFinite, qy.isFinite, abs(qx) < 1e9, abs(qy) < 1e9 else { continue }
                    let ix = Int((qx / 32).rounded(.down)), iy = Int((qy / 32).rounded(.down))
                    let wx = cubicWeights(Float(qx / 32 - Double(ix))), wy = cubicWeights(Float(qy / 32 - Double(iy)))
                    for c in 0..<3 {
                        var total: Float = 0
                        for j in 0..<4 {
                            var row: Float = 0
                            for i in 0..<4 { row += wx[i] * pixel(ix - 1 + i, iy - 1 + j, c) }
                            total += wy[j] * row
                        }
                        out[(y * width + x) * 3 + c] = saturated(total)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// OpenCV's cubic convolution weights (A = -0.75) for taps at -1, 0, 1, 2 from `t` in [0, 1).
    private static func cubicWeights(_ t: Float) -> [Float] {
        let a: Float = -0.75
        let w0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
        let w1 = ((a + 2) * t - (a + 3)) * t * t + 1
        let w2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1
        return [w0, w1, w2, 1 - w0 - w1 - w2]
    }

    /// `np.rot90`: a quarter turn counter-clockwise (tall crops become lines of text).
    static func rotatedCounterClockwise(_ image: RGBImage) -> RGBImage {
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        let (w, h) = (image.width, image.height)
        for y in 0..<h {
            for x in 0..<w {
                // Source (x, y) lands at (y, w - 1 - x) in the h-wide result.
                let target = ((w - 1 - x) * h + y) * 3
                for c in 0..<3 { out[target + c] = image.pixels[(y * w + x) * 3 + c] }
            }
        }
        return RGBImage(width: h, height: w, pixels: out)
    }

    /// `cv2.rotate(image, ROTATE_180)`.
    static func rotatedHalfTurn(_ image: RGBImage) -> RGBImage {
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        let count = image.width * image.height
        for i in 0..<count {
            for c in 0..<3 { out[(count - 1 - i) * 3 + c] = image.pixels[i * 3 + c] }
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }

    /// Writes `image` into plane-major BGR floats (x / 255 - 0.5) / 0.5 at `offset` of a (3, H, W)
    /// block of row length `rowLength` (wider than the image when the batch is padded on the right).
    static func writeNormalizedBGR(_ image: RGBImage, into data: inout [Float], offset: Int, rowLength: Int, planeHeight: Int) {
        let plane = planeHeight * rowLength
        image.pixels.withUnsafeBufferPointer { source in
            data.withUnsafeMutableBufferPointer { target in
                for y in 0..<image.height {
                    for x in 0..<image.width {
                        let pixel = (y * image.width + x) * 3
                        for c in 0..<3 {
                            // BGR: plane 0 holds blue (RapidOCR converts PIL's RGB to OpenCV's BGR).
                            target[offset + c * plane + y * rowLength + x] = (Float(source[pixel + 2 - c]) / 255 - 0.5) / 0.5
                        }
                    }
                }
            }
        }
    }

    private static func saturated(_ value: Float) -> UInt8 {
        UInt8(min(max(value.rounded(), 0), 255))
    }
}

/// A plane projective transform (a 3x3 matrix with h33 = 1) fitted to four point pairs, as
/// `cv2.getPerspectiveTransform` solves it.
struct Homography {
    let m: [Double]

    init(from source: [SIMD2<Double>], to target: [SIMD2<Double>]) {
        // 8 unknowns: for each pair, u = (a x + b y + c) / (g x + h y + 1), v likewise.
        var rows: [[Double]] = []
        for (s, t) in zip(source, target) {
            rows.append([s.x, s.y, 1, 0, 0, 0, -s.x * t.x, -s.y * t.x, t.x])
            rows.append([0, 0, 0, s.x, s.y, 1, -s.x * t.y, -s.y * t.y, t.y])
        }
        // Gaussian elimination with partial pivoting.
        for column in 0..<8 {
            let pivot = (column..<8).max { abs(rows[$0][column]) < abs(rows[$1][column]) }!
            rows.swapAt(column, pivot)
            let p = rows[column][column]
            guard abs(p) > 1e-12 else { continue }
            for r in 0..<8 where r != column {
                let factor = rows[r][column] / p
                if factor != 0 { for k in column..<9 { rows[r][k] -= factor * rows[column][k] } }
            }
        }
        m = (0..<8).map { abs(rows[$0][$0]) > 1e-12 ? rows[$0][8] / rows[$0][$0] : 0 } + [1]
    }

    func apply(_ p: SIMD2<Double>) -> SIMD2<Double> {
        let w = m[6] * p.x + m[7] * p.y + m[8]
        return SIMD2((m[0] * p.x + m[1] * p.y + m[2]) / w, (m[3] * p.x + m[4] * p.y + m[5]) / w)
    }
}
