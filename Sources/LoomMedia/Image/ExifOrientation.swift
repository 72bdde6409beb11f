/// The EXIF Orientation tag (0x0112): how the stored pixels must be turned to appear upright.
/// Applied as Pillow's `ImageOps.exif_transpose` does (PIL/ImageOps.py), so decoded images match
/// what transformers' processors see after `load_image`.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored = 2, rotated180 = 3, flippedVertically = 4
    /// Mirrored across the top-left/bottom-right diagonal (Pillow's TRANSPOSE).
    case transposed = 5
    /// Stored rotated; needs 90 degrees clockwise (Pillow's ROTATE_270).
    case rotatedClockwise = 6
    /// Mirrored across the other diagonal (Pillow's TRANSVERSE).
    case transversed = 7
    /// Stored rotated; needs 90 degrees counter-clockwise (Pillow's ROTATE_90).
    case rotatedCounterClockwise = 8

    /// Whether the upright image has width and height swapped.
    var swapsAxes: Bool { rawValue >= 5 }

    /// The orientation in a TIFF structure (an EXIF payload after its "Exif\0\0" header): the tag in
    /// IFD0. Nil when absent, out of range or when the structure is malformed (never a failure:
    /// a broken EXIF block leaves the image as stored, as Pillow does).
    static func parse(tiff: UnsafeRawBufferPointer) -> ExifOrientation? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            let a = Int(tiff[at]), b = Int(tiff[at + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let lo = u16(little ? at : at + 2), let hi = u16(little ? at + 2 : at) else { return nil }
            return lo | hi << 16
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            // Orientation is a SHORT (type 3) with count 1, stored in the first two value bytes.
            if tag == 0x0112, u16(at + 2) == 3, let value = u16(at + 8) { return ExifOrientation(rawValue: value) }
        }
        return nil
    }

    /// The orientation in a JPEG's first APP1 "Exif" segment, found by walking the marker segments
    /// that precede the first scan (ITU T.81 B.1.1.4: FFxx marker, then a 16-bit big-endian length).
    static func parse(jpeg: UnsafeRawBufferPointer) -> ExifOrientation? {
        var at = 2  // after SOI
        while at + 4 <= jpeg.count {
            guard jpeg[at] == 0xFF else { return nil }
            let marker = jpeg[at + 1]
            if marker == 0xFF { at += 1; continue }  // fill byte
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan / end of image
            let length = Int(jpeg[at + 2]) << 8 | Int(jpeg[at + 3])
            guard length >= 2, at + 2 + length <= jpeg.count else { return nil }
            let payload = UnsafeRawBufferPointer(rebasing: jpeg[(at + 4)..<(at + 2 + length)])
            if marker == 0xE1, payload.starts(with: Array("Exif\0\0".utf8)) {
                return parse(tiff: UnsafeRawBufferPointer(rebasing: payload[6...]))
            }
            at += 2 + length
        }
        return nil
    }
}

extension RGBImage {
    /// The image turned upright according to `orientation` (a copy; `.up` returns self).
    public func applying(_ orientation: ExifOrientation) -> RGBImage {
        if orientation == .up { return self }
        let (w, h) = (width, height)
        let (outWidth, outHeight) = orientation.swapsAxes ? (h, w) : (w, h)
        var result = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outHeight {
                    // The source pixel for output (x, y) is origin + x * step; one row at a time.
                    let (origin, step): (Int, Int)
                    switch orientation {
                    case .up: (origin, step) = (y * w, 1)
                    case .mirrored: (origin, step) = (y * w + w - 1, -1)
                    case .rotated180: (origin, step) = ((h - 1 - y) * w + w - 1, -1)
                    case .flippedVertically: (origin, step) = ((h - 1 - y) * w, 1)
                    case .transposed: (origin, step) = (y, w)  // src(y, x)
                    case .rotatedClockwise: (origin, step) = ((h - 1) * w + y, -w)  // src(y, h-1-x)
                    case .transversed: (origin, step) = ((h - 1) * w + w - 1 - y, -w)  // src(w-1-y, h-1-x)
                    case .rotatedCounterClockwise: (origin, step) = (w - 1 - y, w)  // src(w-1-y, x)
                    }
                    var out = y * outWidth * 3
                    var source = origin
                    for _ in 0..<outWidth {
                        let s = source * 3
                        dst[out] = src[s]
                        dst[out + 1] = src[s + 1]
                        dst[out + 2] = src[s + 2]
                        out += 3
                        source += step
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: result)
    }
}
