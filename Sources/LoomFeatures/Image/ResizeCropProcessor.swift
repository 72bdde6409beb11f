import LoomMedia
import LoomTensor

/// CLIP and SigLIP preprocessing: resize, optional center crop, rescale, normalize -> (1, 3, H, W).
///
/// Follows transformers 5.24 `PilBackend._preprocess` (transformers/image_processing_backends.py) with the
/// class defaults of `CLIPImageProcessorPil` (models/clip/image_processing_pil_clip.py) and
/// `SiglipImageProcessorPil` (models/siglip/image_processing_pil_siglip.py). That PIL path is what
/// `AutoImageProcessor` returns without torchvision installed; resizing is Pillow's, reproduced bit-exactly.
public struct ResizeCropProcessor: ImageProcessing {
    /// How the resize step picks its output size.
    public enum ResizeRule: Sendable, Equatable {
        /// Shortest edge to `shortest`, aspect kept; with `longest`, the long edge capped
        /// (transformers' `get_size_with_aspect_ratio`).
        case shortestEdge(Int, longest: Int?)
        /// Exactly `height` x `width`, aspect not kept.
        case exact(height: Int, width: Int)
    }

    public let kind: ImageProcessorKind
    /// nil when do_resize is false.
    public let resize: ResizeRule?
    public let filter: ResampleFilter
    /// (height, width) of the center crop; nil when do_center_crop is false.
    public let centerCrop: (height: Int, width: Int)?
    public let normalization: PixelNormalization

    /// OpenAI CLIP's channel statistics (transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD).
    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd = [0.26862954, 0.26130258, 0.27577711]

    /// A processor from a config; missing fields take the class defaults of `kind`:
    /// CLIP: shortest_edge 224, bicubic, center crop 224x224, CLIP mean/std.
    /// SigLIP: 224x224, bicubic, no crop, mean/std 0.5. Both rescale by 1/255.
    public init(kind: ImageProcessorKind, config: PreprocessorConfig, file: String) throws {
        guard kind != .idefics3 else {
            throw ImageProcessorError.invalidConfig(
                file: file, field: "image_processor_type", reason: "names Idefics3, which uses Idefics3ImageProcessor, not ResizeCropProcessor")
        }
        let isCLIP = kind == .clip
        self.kind = kind
        filter = try ResampleFilter.from(config.resample, fallback: .bicubic, file: file)

        if config.doResize ?? true {
            let size = try (config.size ?? (isCLIP ? ImageSize(shortestEdge: 224) : ImageSize(height: 224, width: 224)))
                .validated(field: "size", file: file)
            // Both classes set default_to_square = False: a bare integer means the shortest edge.
            if let edge = size.scalar ?? size.shortestEdge {
                resize = .shortestEdge(edge, longest: size.longestEdge)
            } else if let height = size.height, let width = size.width {
                resize = .exact(height: height, width: width)
            } else {
                throw ImageProcessorError.invalidConfig(
                    file: file, field: "size", reason: "needs \"shortest_edge\" or both \"height\" and \"width\" for \(kind.typeName)")
            }
        } else {
            resize = nil
        }

        if config.doCenterCrop ?? isCLIP {
            guard let crop = try (config.cropSize ?? (isCLIP ? ImageSize(height: 224, width: 224) : nil))?
                .validated(field: "crop_size", file: file)
            else {
                throw ImageProcessorError.invalidConfig(file: file, field: "crop_size", reason: "is missing but do_center_crop is true")
            }
            // crop_size is read with default_to_square = True: a bare integer is a square.
            if let side = crop.scalar {
                centerCrop = (side, side)
            } else if let height = crop.height, let width = crop.width {
                centerCrop = (height, width)
            } else {
                throw ImageProcessorError.invalidConfig(file: file, field: "crop_size", reason: "needs \"height\" and \"width\"")
            }
        } else {
            centerCrop = nil
        }

        let mean = isCLIP ? Self.clipMean : [0.5, 0.5, 0.5]
        let std = isCLIP ? Self.clipStd : [0.5, 0.5, 0.5]
        normalization = try PixelNormalization.from(config, defaultMean: mean, defaultStd: std, file: file)
    }

    public func process(_ image: RGBImage) throws -> ProcessedImage {
        guard image.width > 0, image.height > 0 else {
            throw ImageProcessorError.emptyImage(width: image.width, height: image.height)
        }
        var resized = image
        if let resize {
            let (height, width) = Self.outputSize(height: image.height, width: image.width, rule: resize)
            resized = try PillowResampler.resize(image, width: width, height: height, filter: filter)
        }
        // transformers' center_crop: offsets floor((orig - crop) / 2) when the image is large enough,
        // otherwise the image sits ceil((crop - orig) / 2) into a zero-padded canvas.
        let (height, width) = centerCrop ?? (resized.height, resized.width)
        func offset(_ original: Int, _ crop: Int) -> Int {
            original >= crop ? (original - crop) / 2 : -((crop - original + 1) / 2)
        }
        let top = offset(resized.height, height), left = offset(resized.width, width)
        var data = [Float](repeating: 0, count: 3 * height * width)
        data.withUnsafeMutableBufferPointer { out in
            normalization.write(resized, top: top, left: left, height: height, width: width, into: out)
        }
        return ProcessedImage(pixelValues: Tensor(shape: [1, 3, height, width], data: data))
    }

    /// The (height, width) the resize step produces, with transformers' integer arithmetic
    /// (image_transforms.get_resize_output_image_size and get_size_with_aspect_ratio).
    public static func outputSize(height: Int, width: Int, rule: ResizeRule) -> (height: Int, width: Int) {
        switch rule {
        case let .exact(h, w):
            return (h, w)
        case let .shortestEdge(size, nil):
            let short = min(width, height), long = max(width, height)
            let newLong = Int(Double(size * long) / Double(short))
            return width <= height ? (newLong, size) : (size, newLong)
        case let .shortestEdge(requested, longest?):
            var size = requested
            var rawSize: Double?
            let minSide = Double(min(height, width)), maxSide = Double(max(height, width))
            if maxSide / minSide * Double(size) > Double(longest) {
                let raw = Double(longest) * minSide / maxSide
                rawSize = raw
                size = Int(raw.rounded(.toNearestOrEven))
            }
            if (height <= width && height == size) || (width <= height && width == size) {
                return (height, width)
            }
            if width < height {
                let newHeight = rawSize.map { Int($0 * Double(height) / Double(width)) } ?? Int(Double(size * height) / Double(width))
                return (newHeight, size)
            }
            let newWidth = rawSize.map { Int($0 * Double(width) / Double(height)) } ?? Int(Double(size * width) / Double(height))
            return (size, newWidth)
        }
    }
}
