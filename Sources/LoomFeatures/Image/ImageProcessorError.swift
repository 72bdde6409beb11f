import Foundation

/// Why an image could not be preprocessed or a preprocessor config could not be used.
public enum ImageProcessorError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The image has no pixels.
    case emptyImage(width: Int, height: Int)
    /// A resize would produce an image too large to hold in memory.
    case outputTooLarge(width: Int, height: Int)
    /// A resize would produce an image with no pixels (an extreme aspect ratio for the configured size).
    case degenerateResize(fromWidth: Int, fromHeight: Int, toWidth: Int, toHeight: Int)
    /// The config file could not be read or is not JSON of the expected shape.
    case unreadableConfig(file: String, reason: String)
    /// A field of the config has a value Loom cannot use.
    case invalidConfig(file: String, field: String, reason: String)
    /// The config names an image processor Loom does not implement.
    case unknownProcessorType(file: String, type: String)

    public var description: String {
        switch self {
        case let .emptyImage(width, height):
            return "cannot preprocess an empty image (\(width)x\(height) pixels); check that the file decodes to a picture"
        case let .outputTooLarge(width, height):
            return "resizing would make a \(width)x\(height) image, larger than Loom allows "
                + "(\(PillowResampler.maxOutputPixels) pixels); use a smaller image or a smaller size in the preprocessor config"
        case let .degenerateResize(fromWidth, fromHeight, toWidth, toHeight):
            return "cannot resize a \(fromWidth)x\(fromHeight) image to \(toWidth)x\(toHeight): its aspect ratio is too extreme for this model's image size"
        case let .unreadableConfig(file, reason):
            return "\(file): cannot read the image preprocessor config: \(reason)"
        case let .invalidConfig(file, field, reason):
            return "\(file): field \"\(field)\" \(reason)"
        case let .unknownProcessorType(file, type):
            return "\(file): image processor \"\(type)\" is not supported; Loom knows "
                + ImageProcessorKind.allCases.map(\.typeName).joined(separator: ", ")
                + " (set image_processor_type to one of them if the model uses the same preprocessing)"
        }
    }

    public var errorDescription: String? { description }
}
