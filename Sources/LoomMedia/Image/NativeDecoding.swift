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
        // Deflate expands at most 1032:1 (a 258-byte match in two bits), so a file of n bytes holds at
        // most 1032 n bytes of samples: a header that claims more (a 74-byte file declaring
        // 100000x100000) is cut off or lying, and is refused before its pixels are allocated.
        let sampleBytes = width * height / 8 * Int(info.bits_per_pixel)
        if sampleBytes / 1032 > bytes.count {
            throw ImageDecodingError.truncated(
                name: name, format: .png, detail: "its header declares \(width)x\(height) pixels, more than its \(bytes.count) bytes can hold")
        }
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
        // A progressive file's coefficients (2 bytes each, 64 per 8x8 block of each component) are
        // buffered whole. Each block costs at least one bit of Huffman-coded DC data, so a file of n
        // bytes needs at most 1024 n bytes of them; 64 MB more covers any image of ordinary size.
        let coefficientBudget = (64 << 20) + 1024 * bytes.count
        try check(loom_jpeg_start(decoder, coefficientBudget, &message, message.count), message, name: name, format: .jpeg)
        // Rows are appended as they are decoded, so memory follows the data that is really there: a
        // header claiming more than the file holds fails at the first missing row.
        let rowBytes = width * 3
        var pixels: [UInt8] = []
        while pixels.count < height * rowBytes {
            let first = pixels.count
            let rows = min(64, height - first / rowBytes)
            pixels.append(contentsOf: repeatElement(0, count: rows * rowBytes))
            let status = pixels.withUnsafeMutableBufferPointer { rgb in
                loom_jpeg_read_rows(decoder, rgb.baseAddress! + first, rows, &message, message.count)
            }
            try check(status, message, name: name, format: .jpeg)
        }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        return image.applying(ExifOrientation.parse(jpeg: bytes) ?? .up)
    }
}

/// Allocates width * height * 3 bytes and lets `fill` decode into them (PNG, once the file has shown
/// it can hold that many).
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
