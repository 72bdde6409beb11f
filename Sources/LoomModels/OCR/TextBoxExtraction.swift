import Foundation

/// DB (Differentiable Binarization) post-processing: the detection network's text probability map
/// becomes text boxes, as RapidOCR 1.4.4's `DBPostProcess` and `TextDetector.filter_tag_det_res` do
/// (rapidocr_onnxruntime/ch_ppocr_det/utils.py, text_detect.py):
///
///     probability > thresh -> bitmap, dilated by a 2x2 kernel
///     each 8-connected region (cv2.findContours) -> minimum-area rectangle; short side < 3: dropped
///     mean probability inside the rectangle (box_score_fast) < box_thresh: dropped
///     rectangle grown by area * unclip_ratio / perimeter (pyclipper's round offset), its minimum-area
///     rectangle again; short side < 5: dropped
///     corners scaled to the image, rounded, ordered clockwise from top-left, clipped; sides <= 3: dropped
struct TextBoxExtraction: Sendable {
    var threshold: Float = 0.3
    var boxThreshold: Float = 0.5
    var unclipRatio: Double = 1.6
    var maxCandidates = 1000
    var minimumSize: Double = 3

    /// Boxes (4 corners each, clockwise from top-left, in image pixels) from a (height, width)
    /// probability map computed for an image of `imageWidth` x `imageHeight`.
    func boxes(probabilities: [Float], width: Int, height: Int, imageWidth: Int, imageHeight: Int) -> [[SIMD2<Double>]] {
        var bitmap = [Bool](repeating: false, count: width * height)
        // cv2.dilate with a 2x2 kernel (anchor at its centre, i.e. offset 1): a pixel is set when
        // itself or its upper, left or upper-left neighbour is.
        for y in 0..<height {
            for x in 0..<width {
                var on = probabilities[y * width + x] > threshold
                if !on && x > 0 { on = probabilities[y * width + x - 1] > threshold }
                if !on && y > 0 { on = probabilities[(y - 1) * width + x] > threshold }
                if !on && x > 0 && y > 0 { on = probabilities[(y - 1) * width + x - 1] > threshold }
                bitmap[y * width + x] = on
            }
        }
        var boxes: [[SIMD2<Double>]] = []
        for region in Self.regions(bitmap, width: width, height: height).prefix(maxCandidates) {
            guard let rectangle = MinimumAreaRectangle(hullOf: region), rectangle.shortSide >= minimumSize else { continue }
            let corners = rectangle.miniBoxCorners()
            guard Self.meanInside(corners, probabilities: probabilities, width: width, height: height) >= boxThreshold else { continue }
            let distance = rectangle.area * unclipRatio / rectangle.perimeter
            guard let grown = MinimumAreaRectangle(hullOf: Self.roundOffset(corners, by: distance)),
                  grown.shortSide >= minimumSize + 2 else { continue }
            // Back to image pixels, rounded half to even as numpy's round, clipped to the image.
            let scaled = grown.miniBoxCorners().map { p in
                SIMD2(min(max((p.x / Double(width) * Double(imageWidth)).rounded(.toNearestOrEven), 0), Double(imageWidth)),
                      min(max((p.y / Double(height) * Double(imageHeight)).rounded(.toNearestOrEven), 0), Double(imageHeight)))
            }
            let box = Self.orderedClockwise(scaled).map { p in
                SIMD2(min(max(p.x, 0), Double(imageWidth - 1)).rounded(.towardZero), min(max(p.y, 0), Double(imageHeight - 1)).rounded(.towardZero))
            }
            let boxWidth = Int(Self.length(box[0] - box[1])), boxHeight = Int(Self.length(box[0] - box[3]))
            guard boxWidth > 3, boxHeight > 3 else { continue }
            boxes.append(box)
        }
        return boxes
    }

    /// The vertices pyclipper's `PyclipperOffset` (Clipper 6.4.2, JT_ROUND, ET_CLOSEDPOLYGON, arc
    /// tolerance 0.25) gives for the convex polygon `corners` grown by `distance`: the corners are
    /// truncated to integers first (pyclipper's cast), each corner becomes an arc of points stepped
    /// as Clipper steps them, and every vertex is rounded half away from zero (Clipper's Round).
    /// Reference: clipper.cpp ClipperOffset::DoOffset and DoRound.
    static func roundOffset(_ corners: [SIMD2<Double>], by distance: Double) -> [SIMD2<Double>] {
        let points = corners.map { SIMD2($0.x.rounded(.towardZero), $0.y.rounded(.towardZero)) }
        let count = points.count
        // Twice the signed area: its sign tells which side of each edge is outside.
        let area = (0..<count).reduce(0.0) { total, i in
            let (a, b) = (points[i], points[(i + 1) % count])
            return total + a.x * b.y - b.x * a.y
        }
        let outward: Double = area > 0 ? 1 : -1
        // The outward unit normal of edge i (points[i] -> points[i + 1]).
        let normals = (0..<count).map { i -> SIMD2<Double> in
            let edge = points[(i + 1) % count] - points[i]
            let length = Self.length(edge)
            return length == 0 ? .zero : SIMD2(edge.y, -edge.x) * (outward / length)
        }
        let tolerance = 0.25
        var stepsPerCircle = Double.pi / acos(1 - tolerance / abs(distance))
        if !stepsPerCircle.isFinite || stepsPerCircle > abs(distance) * Double.pi { stepsPerCircle = abs(distance) * Double.pi }
        stepsPerCircle = max(stepsPerCircle, 1)
        let turn = 2 * Double.pi / stepsPerCircle
        func rounded(_ p: SIMD2<Double>) -> SIMD2<Double> {
            SIMD2(p.x.rounded(.toNearestOrAwayFromZero), p.y.rounded(.toNearestOrAwayFromZero))
        }
        var result: [SIMD2<Double>] = []
        for j in 0..<count {
            let from = normals[(j + count - 1) % count], to = normals[j]
            // The arc from the previous edge's normal to this edge's, outward.
            let sine = from.x * to.y - from.y * to.x, cosine = (from * to).sum()
            let angle = atan2(sine, cosine)
            let steps = max(Int((stepsPerCircle / (2 * Double.pi) * abs(angle)).rounded(.toNearestOrAwayFromZero)), 1)
            let direction: Double = angle < 0 ? -1 : 1
            var normal = from
            for _ in 0..<steps {
                result.append(rounded(points[j] + normal * distance))
                let (c, s) = (cos(turn), sin(turn) * direction)
                normal = SIMD2(normal.x * c - normal.y * s, normal.x * s + normal.y * c)
            }
            result.append(rounded(points[j] + to * distance))
        }
        return result
    }

    /// RapidOCR's `sorted_boxes`: by the top-left corner's y, then x; then boxes on one line (top-left
    /// y within 10 pixels) are put left to right.
    static func readingOrder(_ boxes: [[SIMD2<Double>]]) -> [[SIMD2<Double>]] {
        var sorted = boxes.sorted { ($0[0].y, $0[0].x) < ($1[0].y, $1[0].x) }
        guard sorted.count > 1 else { return sorted }
        for i in 0..<(sorted.count - 1) {
            var j = i
            while j >= 0, abs(sorted[j + 1][0].y - sorted[j][0].y) < 10, sorted[j + 1][0].x < sorted[j][0].x {
                sorted.swapAt(j, j + 1)
                j -= 1
            }
        }
        return sorted
    }

    /// The pixels (x, y) of each 8-connected region of set pixels, in the order of their first
    /// pixel in raster order; only each row's leftmost and rightmost pixel is kept, which is all a
    /// convex hull needs.
    static func regions(_ bitmap: [Bool], width: Int, height: Int) -> [[SIMD2<Double>]] {
        var label = [Int32](repeating: -1, count: bitmap.count)
        var regions: [[SIMD2<Double>]] = []
        var stack: [Int] = []
        for start in bitmap.indices where bitmap[start] && label[start] < 0 {
            let id = Int32(regions.count)
            var extremes: [Int: (Int, Int)] = [:]  // row -> (leftmost, rightmost)
            label[start] = id
            stack.append(start)
            while let index = stack.popLast() {
                let (x, y) = (index % width, index / width)
                let known = extremes[y]
                extremes[y] = (min(known?.0 ?? x, x), max(known?.1 ?? x, x))
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let (nx, ny) = (x + dx, y + dy)
                        guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                        let neighbour = ny * width + nx
                        if bitmap[neighbour] && label[neighbour] < 0 {
                            label[neighbour] = id
                            stack.append(neighbour)
                        }
                    }
                }
            }
            regions.append(extremes.flatMap { y, span in [SIMD2(Double(span.0), Double(y)), SIMD2(Double(span.1), Double(y))] })
        }
        return regions
    }

    /// `box_score_fast`: the mean probability over the pixels of the box's bounding rectangle that lie
    /// inside the box (its corners truncated to integers, as cv2.fillPoly receives them).
    static func meanInside(_ corners: [SIMD2<Double>], probabilities: [Float], width: Int, height: Int) -> Float {
        let xs = corners.map(\.x), ys = corners.map(\.y)
        let xMin = min(max(Int(xs.min()!.rounded(.down)), 0), width - 1), xMax = min(max(Int(xs.max()!.rounded(.up)), 0), width - 1)
        let yMin = min(max(Int(ys.min()!.rounded(.down)), 0), height - 1), yMax = min(max(Int(ys.max()!.rounded(.up)), 0), height - 1)
        let polygon = corners.map { SIMD2(($0.x - Double(xMin)).rounded(.towardZero), ($0.y - Double(yMin)).rounded(.towardZero)) }
        var total: Double = 0, count = 0
        for y in yMin...yMax {
            for x in xMin...xMax where Self.contains(polygon, SIMD2(Double(x - xMin), Double(y - yMin))) {
                total += Double(probabilities[y * width + x])
                count += 1
            }
        }
        return count == 0 ? 0 : Float(total / Double(count))
    }

    /// Whether `p` lies inside or on the border of the convex polygon.
    private static func contains(_ polygon: [SIMD2<Double>], _ p: SIMD2<Double>) -> Bool {
        var sign = 0.0
        for i in polygon.indices {
            let a = polygon[i], b = polygon[(i + 1) % polygon.count]
            let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
            if abs(cross) < 1e-9 { continue }
            if sign == 0 { sign = cross } else if (cross > 0) != (sign > 0) { return false }
        }
        return true
    }

    /// `order_points_clockwise`: the two leftmost points (by x) are top-left and bottom-left by y, the
    /// other two top-right and bottom-right.
    static func orderedClockwise(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
        let byX = points.enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element)
        let left = byX[0..<2].sorted { $0.y < $1.y }, right = byX[2..<4].sorted { $0.y < $1.y }
        return [left[0], right[0], right[1], left[1]]
    }

    static func length(_ v: SIMD2<Double>) -> Double { (v.x * v.x + v.y * v.y).squareRoot() }
}

/// `cv2.minAreaRect` of a point set: rotating calipers over its convex hull.
struct MinimumAreaRectangle {
    let center: SIMD2<Double>
    /// Unit vectors along the two sides, and the half lengths along them.
    let axis: SIMD2<Double>, normal: SIMD2<Double>
    let halfLength: Double, halfWidth: Double

    var shortSide: Double { 2 * min(halfLength, halfWidth) }
    var area: Double { 4 * halfLength * halfWidth }
    var perimeter: Double { 4 * (halfLength + halfWidth) }

    init?(hullOf points: [SIMD2<Double>]) {
        let hull = Self.convexHull(points)
        guard hull.count >= 3 else { return nil }  // a point or a line: no area, as OpenCV's size 0
        var best: (area: Double, rect: (SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, Double, Double))?
        for i in hull.indices {
            let edge = hull[(i + 1) % hull.count] - hull[i]
            let length = TextBoxExtraction.length(edge)
            guard length > 0 else { continue }
            let u = edge / length, v = SIMD2(-u.y, u.x)
            let along = hull.map { ($0 * u).sum() }, across = hull.map { ($0 * v).sum() }
            let (a0, a1, b0, b1) = (along.min()!, along.max()!, across.min()!, across.max()!)
            let area = (a1 - a0) * (b1 - b0)
            if best == nil || area < best!.area {
                let center = u * ((a0 + a1) / 2) + v * ((b0 + b1) / 2)
                best = (area, (center, u, v, (a1 - a0) / 2, (b1 - b0) / 2))
            }
        }
        guard let rect = best?.rect else { return nil }
        (center, axis, normal, halfLength, halfWidth) = rect
    }

    /// The corners in `get_mini_boxes` order: sorted by x, the left pair split by y into first and
    /// fourth, the right pair into second and third.
    func miniBoxCorners() -> [SIMD2<Double>] {
        let corners = [(-1.0, -1.0), (1, -1), (1, 1), (-1, 1)].map { s, t in
            center + axis * (s * halfLength) + normal * (t * halfWidth)
        }
        let p = corners.sorted { $0.x < $1.x }
        let (first, fourth) = p[1].y > p[0].y ? (p[0], p[1]) : (p[1], p[0])
        let (second, third) = p[3].y > p[2].y ? (p[2], p[3]) : (p[3], p[2])
        return [first, second, third, fourth]
    }

    /// Andrew's monotone chain, counter-clockwise, without collinear points.
    static func convexHull(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
        let sorted = Set(points.map { [$0.x, $0.y] }).map { SIMD2($0[0], $0[1]) }.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
        guard sorted.count >= 3 else { return sorted }
        func cross(_ o: SIMD2<Double>, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
            (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
        }
        var lower: [SIMD2<Double>] = [], upper: [SIMD2<Double>] = []
        for p in sorted {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        for p in sorted.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }
}
