import Foundation

/// The fields of a Hugging Face `preprocessor_config.json` that the image processors read.
///
/// Every field is optional: a missing field takes the processor family's class default (see
/// `ImageProcessorKind.defaults`), as transformers' `BaseImageProcessor.__init__` does. Keys are snake_case.
/// Reference: transformers 5.24 `image_processing_utils.py` and `image_utils.SizeDict`.
public struct PreprocessorConfig: Decodable, Sendable, Equatable {
    public var imageProcessorType: String?
    public var featureExtractorType: String?
    public var processorClass: String?
    public var doResize: Bool?
    public var size: ImageSize?
    /// `PIL.Image.Resampling` number; see `ResampleFilter`.
    public var resample: Int?
    public var doCenterCrop: Bool?
    public var cropSize: ImageSize?
    public var doRescale: Bool?
    public var rescaleFactor: Double?
    public var doNormalize: Bool?
    public var imageMean: ChannelValues?
    public var imageStd: ChannelValues?
    public var doConvertRgb: Bool?
    public var doImageSplitting: Bool?
    public var maxImageSize: ImageSize?
    public var doPad: Bool?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case imageProcessorType = "image_processor_type"
        case featureExtractorType = "feature_extractor_type"
        case processorClass = "processor_class"
        case doResize = "do_resize"
        case size
        case resample
        case doCenterCrop = "do_center_crop"
        case cropSize = "crop_size"
        case doRescale = "do_rescale"
        case rescaleFactor = "rescale_factor"
        case doNormalize = "do_normalize"
        case imageMean = "image_mean"
        case imageStd = "image_std"
        case doConvertRgb = "do_convert_rgb"
        case doImageSplitting = "do_image_splitting"
        case maxImageSize = "max_image_size"
        case doPad = "do_pad"
    }

    /// Reads `url` (a preprocessor_config.json), with errors naming the file.
    public static func load(_ url: URL) throws -> PreprocessorConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageProcessorError.unreadableConfig(file: url.path, reason: "the file cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, file: url.path)
    }

    /// Parses config JSON; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> PreprocessorConfig {
        do {
            return try JSONDecoder().decode(PreprocessorConfig.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ImageProcessorError.invalidConfig(
                file: file, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                reason: "has the wrong type: \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            if field.isEmpty {
                throw ImageProcessorError.unreadableConfig(file: file, reason: "not valid JSON (\(context.debugDescription))")
            }
            throw ImageProcessorError.invalidConfig(file: file, field: field, reason: context.debugDescription)
        } catch {
            throw ImageProcessorError.unreadableConfig(file: file, reason: "\(error)")
        }
    }
}

/// A `size`-like field: an integer, or a dict with `shortest_edge`, `longest_edge`, `height`/`width`,
/// or `max_height`/`max_width`. How a bare integer is read depends on the field (see `ImageProcessorKind`).
public struct ImageSize: Decodable, Sendable, Equatable {
    public var shortestEdge: Int?
    public var longestEdge: Int?
    public var height: Int?
    public var width: Int?
    public var maxHeight: Int?
    public var maxWidth: Int?
    /// Set when the JSON held a bare integer.
    public var scalar: Int?

    public init(shortestEdge: Int? = nil, longestEdge: Int? = nil, height: Int? = nil, width: Int? = nil,
                maxHeight: Int? = nil, maxWidth: Int? = nil, scalar: Int? = nil) {
        self.shortestEdge = shortestEdge
        self.longestEdge = longestEdge
        self.height = height
        self.width = width
        self.maxHeight = maxHeight
        self.maxWidth = maxWidth
        self.scalar = scalar
    }

    enum CodingKeys: String, CodingKey {
        case shortestEdge = "shortest_edge"
        case longestEdge = "longest_edge"
        case height, width
        case maxHeight = "max_height"
        case maxWidth = "max_width"
    }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let value = try? single.decode(Int.self) {
            self.init(scalar: value)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(shortestEdge: try c.decodeIfPresent(Int.self, forKey: .shortestEdge),
                  longestEdge: try c.decodeIfPresent(Int.self, forKey: .longestEdge),
                  height: try c.decodeIfPresent(Int.self, forKey: .height),
                  width: try c.decodeIfPresent(Int.self, forKey: .width),
                  maxHeight: try c.decodeIfPresent(Int.self, forKey: .maxHeight),
                  maxWidth: try c.decodeIfPresent(Int.self, forKey: .maxWidth))
    }

    /// All given values; used to reject zero or negative sizes.
    var values: [Int] { [shortestEdge, longestEdge, height, width, maxHeight, maxWidth, scalar].compactMap { $0 } }
}

/// `image_mean` / `image_std`: one number for all channels or one per channel.
public struct ChannelValues: Decodable, Sendable, Equatable {
    public var values: [Double]

    public init(_ values: [Double]) { self.values = values }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(Double.self) {
            values = [one, one, one]
        } else {
            values = try c.decode([Double].self)
        }
    }
}
