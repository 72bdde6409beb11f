import CLoomImage
import Foundation

/// Baseline JPEG files from decoded images, through libjpeg(-turbo): the thumbnails `loom serve`
/// sends for indexed images.
public enum JPEGEncoder {
    /// The JPEG bytes of `image` at `quality` (1...100; libjpeg's scale).
    public static func encode(_ image: RGBImage, quality: Int = 85) throws -> Data {
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { rgb in
            loom_jpeg_encode_rgb(rgb.baseAddress, UInt32(clamping: image.width), UInt32(clamping: image.height), Int32(quality),
                                 &output, &size, &message, message.count)
        }
        guard status == LOOM_IMAGE_OK, let output else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageEncodingError(width: image.width, height: image.height, reason: reason)
        }
        defer { loom_jpeg_free(output) }
        return Data(bytes: output, count: size)
    }
}

public struct ImageEncodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let reason: String
    public var description: String { "cannot encode a \(width)x\(height) image as JPEG: \(reason)" }
}
