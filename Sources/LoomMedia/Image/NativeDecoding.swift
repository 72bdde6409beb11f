import CLoomImage
import Foundation

/// Calls into the CLoomImage shims (Sources/CLoomImage), which keep libpng's and libjpeg's longjmp
/// error handling on the C side and return a status plus message.
enum PNGDecoding {
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, limit: PixelLimit) throws -> RGBImage {
        var message = [CChar](repeating: 0, count: 256)
        var info = LoomImageInfo()
        var handle: OpaquePointer?
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let opened = loom_png_open(base, bytes.count, &handle, &info, &message, message.count)
        try check(opened, message, name: name, format: .png)
        guard let decoder = handle else { throw corruptHandle(name: name, format: .png) }
        defer { loom_png_close(decoder) }

        let (width, height) = (Int(info.width), Int(info.height))
        try limit.check(width: width, height: height)
        let pixels = try decodeRGB(width: width, height: height, name: name, format: .png) { rgb, message in
            loom_png_decode_rgb(decoder, rgb, message, 256)
        }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        var exifSize = 0
        guard let exif = loom_png_exif(decoder, &exifSize) else { return image }
        let orientation = ExifOrientation.parse(tiff: UnsafeRawBufferPointer(start: exif, count: exifSize))
        return image.applying(orientation ?? .up)
    }
}

enum JPEGDecoding {
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, limit: PixelLimit) throws -> RGBImage {
        var message = [CChar](repeating: 0, count: 256)
        var info = LoomImageInfo()
        var handle: OpaquePointer?
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let opened = loom_jpeg_open(base, bytes.count, &handle, &info, &message, message.count)
        try check(opened, message, name: name, format: .jpeg)
        guard let decoder = handle else { throw corruptHandle(name: name, format: .jpeg) }
        defer { loom_jpeg_close(decoder) }

        let (width, height) = (Int(info.width), Int(info.height))
        try limit.check(width: width, height: height)
        let pixels = try decodeRGB(width: width, height: height, name: name, format: .jpeg) { rgb, message in
            loom_jpeg_decode_rgb(decoder, rgb, message, 256)
        }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        return image.applying(ExifOrientation.parse(jpeg: bytes) ?? .up)
    }
}

/// Allocates width * height * 3 bytes and lets `fill` decode into them.
private func decodeRGB(
    width: Int, height: Int, name: String, format: ImageFormat,
    fill: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<CChar>) -> LoomImageStatus
) throws -> [UInt8] {
    let count = width * height * 3
    var message = [CChar](repeating: 0, count: 256)
    let pixels = try [UInt8](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
        let status = message.withUnsafeMutableBufferPointer { fill(buffer.baseAddress!, $0.baseAddress!) }
        try check(status, message, name: name, format: format)
        initialized = count
    }
    return pixels
}

private func check(_ status: LoomImageStatus, _ message: [CChar], name: String, format: ImageFormat) throws {
    let detail = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    switch status {
    case LOOM_IMAGE_OK: return
    case LOOM_IMAGE_TRUNCATED: throw ImageDecodingError.truncated(name: name, format: format, detail: detail)
    case LOOM_IMAGE_UNSUPPORTED: throw ImageDecodingError.unsupportedFormat(name: name, detail: "this \(format): \(detail)")
    case LOOM_IMAGE_OUT_OF_MEMORY:
        throw ImageDecodingError.unreadableFile(name: name, reason: "out of memory while decoding the \(format)")
    default: throw ImageDecodingError.corrupt(name: name, format: format, detail: detail)
    }
}

private func corruptHandle(name: String, format: ImageFormat) -> ImageDecodingError {
    .corrupt(name: name, format: format, detail: "the decoder returned no handle")
}
