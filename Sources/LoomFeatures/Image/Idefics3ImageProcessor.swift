import Foundation
import LoomMedia
import LoomTensor

/// Idefics3 / SmolVLM preprocessing: resize so the longest edge is `size.longest_edge`, then either split
/// into a grid of `maxImageSize`-square tiles plus a global image, or resize to one square; rescale,
/// normalize, and (for batches) pad the tile count with zero tiles and a pixel attention mask.
///
/// Follows transformers 5.24 `Idefics3ImageProcessorPil` (models/idefics3/image_processing_pil_idefics3.py),
/// which `AutoImageProcessor` picks for Idefics3 and SmolVLM whenever torchvision < 0.27 or absent, because
/// the model resamples with Lanczos. SmolVLM's processor (models/smolvlm) is the same code.
public struct Idefics3ImageProcessor: ImageProcessing {
    public var kind: ImageProcessorKind { .idefics3 }
    /// Longest edge after the first resize (nil: `resizeExact` or no resize).
    public let longestEdge: Int?
    /// Exact (height, width) of the first resize when the config gives height/width instead.
    public let resizeExact: (height: Int, width: Int)?
    public let doResize: Bool
    public let doImageSplitting: Bool
    /// Side of each square tile, and of the global image.
    public let tileSize: Int
    public let filter: ResampleFilter
    public let normalization: PixelNormalization

    /// transformers' MAX_IMAGE_SIZE: the longest edge is kept at or below 4096 after the first resize.
    public static let maxImageSide = 4096

    /// A processor from a config; missing fields take `Idefics3ImageProcessorPil`'s class defaults:
    /// size longest_edge 1456 (4 x 364), max_image_size longest_edge 364, Lanczos, splitting on,
    /// rescale 1/255, mean/std 0.5. (SmolVLM-256M-Instruct's config sets 2048 and 512.)
    public init(config: PreprocessorConfig, file: String) throws {
        filter = try ResampleFilter.from(config.resample, fallback: .lanczos, file: file)
        doResize = config.doResize ?? true
        doImageSplitting = config.doImageSplitting ?? true
        let size = try (config.size ?? ImageSize(longestEdge: 4 * 364)).validated(field: "size", file: file)
        if let edge = size.longestEdge {
            longestEdge = edge
            resizeExact = nil
        } else if let height = size.height ?? size.scalar, let width = size.width ?? size.scalar {
            // A bare integer is a square (Idefics3 keeps BaseImageProcessor's default_to_square = True).
            longestEdge = nil
            resizeExact = (height, width)
        } else {
            throw ImageProcessorError.invalidConfig(file: file, field: "size", reason: "needs \"longest_edge\" or \"height\" and \"width\"")
        }
        let tile = try (config.maxImageSize ?? ImageSize(longestEdge: 364)).validated(field: "max_image_size", file: file)
        guard let side = tile.longestEdge ?? tile.scalar else {
            throw ImageProcessorError.invalidConfig(file: file, field: "max_image_size", reason: "needs \"longest_edge\"")
        }
        tileSize = side
        normalization = try PixelNormalization.from(config, defaultMean: [0.5, 0.5, 0.5], defaultStd: [0.5, 0.5, 0.5], file: file)
    }

    /// The sizes and grid an image of `width` x `height` goes through, without touching pixels.
    public struct Plan: Sendable, Equatable {
        /// After the first resize (the input size when do_resize is false).
        public var resizedWidth: Int
        public var resizedHeight: Int
        /// The image the tiles are cut from (multiples of the tile size), when splitting.
        public var gridWidth: Int
        public var gridHeight: Int
        public var rows: Int
        public var cols: Int
        /// rows * cols + 1 when split, else 1.
        public var tileCount: Int { rows == 0 && cols == 0 ? 1 : rows * cols + 1 }
    }

    public func plan(width: Int, height: Int) -> Plan {
        var (h, w) = (height, width)
        if doResize {
            if let longestEdge {
                (h, w) = Self.rescaleToMaxLength(height: h, width: w, maxLength: longestEdge)
                (h, w) = Self.scaleBelowUpperBound(height: h, width: w, maxLength: Self.maxImageSide)
            } else if let resizeExact {
                (h, w) = resizeExact
            }
        }
        guard doImageSplitting else {
            return Plan(resizedWidth: w, resizedHeight: h, gridWidth: tileSize, gridHeight: tileSize, rows: 0, cols: 0)
        }
        // resize_for_vision_encoder: round both sides up to multiples of the tile size, aspect roughly kept.
        let m = Double(tileSize)
        let aspect = Double(w) / Double(h)
        var gw = w, gh = h
        if w >= h {
            gw = Int((Double(w) / m).rounded(.up)) * tileSize
            gh = Int(Double(gw) / aspect)
            gh = Int((Double(gh) / m).rounded(.up)) * tileSize
        } else {
            gh = Int((Double(h) / m).rounded(.up)) * tileSize
            gw = Int(Double(gh) * aspect)
            gw = Int((Double(gw) / m).rounded(.up)) * tileSize
        }
        // split_images: a grid only when the image is larger than one tile.
        var rows = 0, cols = 0
        if gh > tileSize || gw > tileSize {
            rows = (gh - tileSize) / tileSize + 1
            cols = (gw - tileSize) / tileSize + 1
        }
        return Plan(resizedWidth: w, resizedHeight: h, gridWidth: gw, gridHeight: gh, rows: rows, cols: cols)
    }

    /// One image: (tiles, 3, S, S) with S the tile size; tiles row by row, then the global image.
    public func process(_ image: RGBImage) throws -> ProcessedImage {
        guard image.width > 0, image.height > 0 else {
            throw ImageProcessorError.emptyImage(width: image.width, height: image.height)
        }
        let plan = plan(width: image.width, height: image.height)
        let resized = try PillowResampler.resize(image, width: plan.resizedWidth, height: plan.resizedHeight, filter: filter)
        let s = tileSize
        let tileValues = 3 * s * s
        var frames: [(image: RGBImage, top: Int, left: Int)] = []
        if !doImageSplitting {
            frames = [(try PillowResampler.resize(resized, width: s, height: s, filter: filter), 0, 0)]
        } else {
            let grid = try PillowResampler.resize(resized, width: plan.gridWidth, height: plan.gridHeight, filter: filter)
            if plan.rows == 0 {
                // Grid is exactly one tile: no split, no global image.
                frames = [(grid, 0, 0)]
            } else {
                for r in 0 ..< plan.rows {
                    for c in 0 ..< plan.cols { frames.append((grid, r * s, c * s)) }
                }
                // The global image is the grid image squeezed to one tile (aspect not kept).
                frames.append((try PillowResampler.resize(grid, width: s, height: s, filter: filter), 0, 0))
            }
        }
        var data = [Float](repeating: 0, count: frames.count * tileValues)
        data.withUnsafeMutableBufferPointer { out in
            for (i, frame) in frames.enumerated() {
                let slot = UnsafeMutableBufferPointer(rebasing: out[(i * tileValues) ..< ((i + 1) * tileValues)])
                normalization.write(frame.image, top: frame.top, left: frame.left, height: s, width: s, into: slot)
            }
        }
        return ProcessedImage(pixelValues: Tensor(shape: [frames.count, 3, s, s], data: data), rows: plan.rows, cols: plan.cols)
    }

    /// A batch as the model takes it: every image padded to the largest tile count with zero tiles.
    public struct Batch: Sendable, Equatable {
        /// (images, maxTiles, 3, S, S).
        public var pixelValues: Tensor
        /// (images, maxTiles, S, S): 1 over real pixels, 0 over padding (transformers' pixel_attention_mask).
        public var pixelAttentionMask: Tensor
        public var rows: [Int]
        public var cols: [Int]
    }

    /// `images` processed and padded as transformers does with do_pad (always padded here: a tensor needs it).
    public func processBatch(_ images: [RGBImage]) throws -> Batch {
        let processed = try images.map(process)
        let maxTiles = processed.map(\.tileCount).max() ?? 0
        let s = tileSize, tileValues = 3 * s * s
        var pixels = [Float](repeating: 0, count: images.count * maxTiles * tileValues)
        var mask = [Float](repeating: 0, count: images.count * maxTiles * s * s)
        for (i, item) in processed.enumerated() {
            let start = i * maxTiles * tileValues
            pixels.replaceSubrange(start ..< start + item.pixelValues.count, with: item.pixelValues.data)
            let maskStart = i * maxTiles * s * s
            for j in maskStart ..< maskStart + item.tileCount * s * s { mask[j] = 1 }
        }
        return Batch(pixelValues: Tensor(shape: [images.count, maxTiles, 3, s, s], data: pixels),
                     pixelAttentionMask: Tensor(shape: [images.count, maxTiles, s, s], data: mask),
                     rows: processed.map(\.rows), cols: processed.map(\.cols))
    }

    /// `_resize_output_size_rescale_to_max_len`: longest edge to `maxLength`, the other side even.
    static func rescaleToMaxLength(height: Int, width: Int, maxLength: Int) -> (Int, Int) {
        let aspect = Double(width) / Double(height)
        var (h, w) = (height, width)
        if width >= height {
            w = maxLength
            h = Int(Double(w) / aspect)
            if h % 2 != 0 { h += 1 }
        } else {
            h = maxLength
            w = Int(Double(h) * aspect)
            if w % 2 != 0 { w += 1 }
        }
        return (max(h, 1), max(w, 1))
    }

    /// `_resize_output_size_scale_below_upper_bound`: the longest edge capped at `maxLength`.
    static func scaleBelowUpperBound(height: Int, width: Int, maxLength: Int) -> (Int, Int) {
        let aspect = Double(width) / Double(height)
        var (h, w) = (height, width)
        if width >= height && width > maxLength {
            w = maxLength
            h = Int(Double(w) / aspect)
        } else if height > width && height > maxLength {
            h = maxLength
            w = Int(Double(h) * aspect)
        }
        return (max(h, 1), max(w, 1))
    }
}
