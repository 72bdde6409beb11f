import Foundation
import LoomMedia
import LoomTensor

/// Turns a decoded RGB image into a vision encoder's input.
public protocol ImageProcessing: Sendable {
    /// The model family whose preprocessing this reproduces.
    var kind: ImageProcessorKind { get }
    /// `image` preprocessed: one or more channel-first tiles.
    func process(_ image: RGBImage) throws -> ProcessedImage
}

/// The tensor an image becomes, plus the tile grid that image-token layouts need.
public struct ProcessedImage: Sendable, Equatable {
    /// (tiles, 3, height, width), channel-first, float32.
    public var pixelValues: Tensor
    /// Tile grid of a split image (Idefics3): `rows * cols` tiles then one global image.
    /// 0 and 0 when the image was not split (a single tile).
    public var rows: Int
    public var cols: Int

    public init(pixelValues: Tensor, rows: Int = 0, cols: Int = 0) {
        self.pixelValues = pixelValues
        self.rows = rows
        self.cols = cols
    }

    public var tileCount: Int { pixelValues.shape[0] }
}

/// The image processor families Loom implements, named as transformers names them.
public enum ImageProcessorKind: String, CaseIterable, Sendable {
    case clip
    case siglip
    case idefics3

    /// transformers' class name, as written in `image_processor_type`.
    public var typeName: String {
        switch self {
        case .clip: "CLIPImageProcessor"
        case .siglip: "SiglipImageProcessor"
        case .idefics3: "Idefics3ImageProcessor"
        }
    }

    /// Class names that select each family: image processors (with transformers' "Fast"/"Pil" backend
    /// suffixes removed), legacy feature extractors and processor classes.
    static let aliases: [String: ImageProcessorKind] = [
        "CLIPImageProcessor": .clip, "CLIPFeatureExtractor": .clip, "CLIPProcessor": .clip,
        "SiglipImageProcessor": .siglip, "SiglipProcessor": .siglip,
        "Idefics3ImageProcessor": .idefics3, "Idefics3Processor": .idefics3,
        // SmolVLM's processor is Idefics3's code under another name (transformers' modular_smolvlm.py).
        "SmolVLMImageProcessor": .idefics3, "SmolVLMProcessor": .idefics3,
    ]

    /// The family a config selects: `image_processor_type`, else `feature_extractor_type`, else `processor_class`.
    public static func from(_ config: PreprocessorConfig, file: String) throws -> ImageProcessorKind {
        guard let name = config.imageProcessorType ?? config.featureExtractorType ?? config.processorClass else {
            throw ImageProcessorError.invalidConfig(
                file: file, field: "image_processor_type",
                reason: "is missing (and so are feature_extractor_type and processor_class); add \"image_processor_type\": one of "
                    + allCases.map(\.typeName).joined(separator: ", "))
        }
        var base = name
        for suffix in ["Fast", "Pil"] where base.hasSuffix(suffix) { base.removeLast(suffix.count) }
        guard let kind = aliases[base] else { throw ImageProcessorError.unknownProcessorType(file: file, type: name) }
        return kind
    }
}

/// Builds the right processor from a model folder.
public enum ImageProcessors {
    /// The processor for `folder/preprocessor_config.json`.
    public static func load(folder: URL) throws -> any ImageProcessing {
        let url = folder.appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ImageProcessorError.unreadableConfig(
                file: url.path, reason: "the file does not exist; a vision model folder needs its preprocessor_config.json")
        }
        return try make(PreprocessorConfig.load(url), file: url.path)
    }

    /// The processor for a parsed config; `file` names the config in errors.
    public static func make(_ config: PreprocessorConfig, file: String) throws -> any ImageProcessing {
        switch try ImageProcessorKind.from(config, file: file) {
        case .clip: try ResizeCropProcessor(kind: .clip, config: config, file: file)
        case .siglip: try ResizeCropProcessor(kind: .siglip, config: config, file: file)
        case .idefics3: try Idefics3ImageProcessor(config: config, file: file)
        }
    }
}
