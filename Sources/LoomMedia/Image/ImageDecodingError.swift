import Foundation

/// Why an image could not be decoded. Every case names the file and says what to do about it.
public enum ImageDecodingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file has no bytes.
    case emptyFile(name: String)
    /// The data ends before the image does (an interrupted download or copy).
    case truncated(name: String, format: ImageFormat, detail: String)
    /// The decoder rejected the data (bad checksum, bad markers, garbage bytes).
    case corrupt(name: String, format: ImageFormat, detail: String)
    /// Not PNG or JPEG, or a PNG/JPEG layout the decoder does not handle; `detail` says which.
    case unsupportedFormat(name: String, detail: String)
    /// The header declares more pixels than the decoder's `maxPixels` (a decompression-bomb guard).
    case tooManyPixels(name: String, width: Int, height: Int, limit: Int)
    /// The file could not be read at all (missing, a directory, no permission).
    case unreadableFile(name: String, reason: String)

    /// The file (path or caller-given name) the error is about.
    public var name: String {
        switch self {
        case .emptyFile(let name), .truncated(let name, _, _), .corrupt(let name, _, _),
             .unsupportedFormat(let name, _), .tooManyPixels(let name, _, _, _), .unreadableFile(let name, _):
            return name
        }
    }

    public var description: String {
        let name = DisplayPath.escaping(name)
        switch self {
        case .emptyFile:
            return "\(name): the file is empty (0 bytes), so it holds no image; re-export or re-download it."
        case .truncated(_, let format, let detail):
            return "\(name): the \(format) file is truncated (\(detail)); it was probably cut off while "
                + "downloading or copying. Re-download or re-export it."
        case .corrupt(_, let format, let detail):
            return "\(name): the \(format) data is corrupt (\(detail)). Re-export the image, or check "
                + "that the file really is a \(format)."
        case .unsupportedFormat(_, let detail):
            return "\(name): cannot decode \(detail). Loom decodes \(ImageFormat.supportedList) images; "
                + "convert the file to one of those first."
        case .tooManyPixels(_, let width, let height, let limit):
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            return "\(name): the image is \(width)x\(height) = \(overflow ? "too many" : String(pixels)) pixels, over the limit of "
                + "\(limit) pixels that guards against decompression bombs. If you trust the file, downscale it, or raise "
                + "the limit where the command offers it (`loom inspect --max-megapixels`, a pipeline decode step's `max_pixels`)."
        case .unreadableFile(_, let reason):
            return "\(name): cannot read the file (\(reason)). Check the path and its permissions."
        }
    }

    public var errorDescription: String? { description }
}
