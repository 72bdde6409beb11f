import Foundation

/// Decodes PNG and JPEG files to upright 8-bit RGB, matching what Hugging Face transformers feeds its
/// image processors: Pillow's `Image.open`, `ImageOps.exif_transpose`, then `convert_to_rgb`
/// (transformers/image_transforms.py), which composites any transparency (alpha channel or tRNS
/// key) onto an opaque white background with `Image.alpha_composite` before dropping alpha.
///
/// Differences from Pillow, on purpose: 16-bit grayscale PNGs keep each sample's high byte (Pillow's
/// `convert("RGB")` clamps I;16 values to 255, turning most of the image white), and truncated files
/// are errors rather than gray-padded images.
///
/// The format comes from the file's first bytes, never its extension. Sizes are read from the header
/// first, so an image over `maxPixels` is refused before any pixel memory is allocated; below it,
/// memory grows only with what the file's data can hold (PNG: a bound from its size; JPEG: rows as
/// they are decoded), so a tiny file with a huge header cannot make Loom allocate gigabytes.
public struct ImageDecoder: Sendable {
    /// The largest width * height accepted; the default (100 million, about 300 MB of RGB) stops
    /// decompression bombs while allowing any camera photo.
    public let maxPixels: Int

    public init(maxPixels: Int = 100_000_000) {
        precondition(maxPixels > 0, "maxPixels must be positive")
        self.maxPixels = maxPixels
    }

    /// Reads and decodes the file at `url`; errors name `url.path`. Only a regular file is read
    /// (`InputFile`), so a FIFO or device is refused instead of blocking.
    public func decode(contentsOf url: URL) throws -> RGBImage {
        let data: Data
        do {
            data = try InputFile.contents(url)
        } catch {
            throw ImageDecodingError.unreadableFile(name: url.path, reason: error.reason)
        }
        return try decode(data: data, name: url.path)
    }

    /// Decodes an image already in memory; `name` is used in error messages (a path or an identifier).
    public func decode(data: Data, name: String) throws -> RGBImage {
        if data.isEmpty { throw ImageDecodingError.emptyFile(name: name) }
        return try data.withUnsafeBytes { bytes in
            guard let format = ImageFormat.detect(bytes) else {
                if let format = ImageFormat.truncatedSignature(bytes) {
                    throw ImageDecodingError.truncated(
                        name: name, format: format, detail: "only \(bytes.count) bytes, cut off inside the signature")
                }
                throw ImageDecodingError.unsupportedFormat(name: name, detail: ImageFormat.describeUnsupported(bytes))
            }
            let limit = PixelLimit(maxPixels: maxPixels, name: name)
            switch format {
            case .png: return try PNGDecoding.decode(bytes, name: name, limit: limit)
            case .jpeg: return try JPEGDecoding.decode(bytes, name: name, limit: limit)
            }
        }
    }
}

/// The pixel-count check both decoders run between reading the header and allocating pixels.
struct PixelLimit {
    let maxPixels: Int
    let name: String

    func check(width: Int, height: Int) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageDecodingError.tooManyPixels(name: name, width: width, height: height, limit: maxPixels)
        }
    }
}
