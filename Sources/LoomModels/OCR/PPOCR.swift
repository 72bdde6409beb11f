import Foundation
import LoomMedia
import LoomTensor
import LoomWeights

/// One line of text found in an image.
public struct OCRLine: Sendable, Equatable {
    public let text: String
    /// The mean probability of the line's characters (RapidOCR's score).
    public let confidence: Float
    /// The four corners (x, y) in image pixels, clockwise from the top-left of the text.
    public let box: [SIMD2<Double>]
    /// Whether the direction classifier turned the line a half turn before reading it.
    public let turned: Bool
}

/// PP-OCRv4 as RapidOCR 1.4.4 runs it (rapidocr_onnxruntime/main.py and ch_ppocr_*): text
/// detection (DB), the 0/180 degree direction classifier and CTC text recognition, three ONNX graphs
/// run by `ONNXProgram`, with RapidOCR's default settings (its config.yaml):
///
///     image: max side > 2000 or min side < 30 -> resized; height <= 30 or width / height > 8 ->
///            black bands above and below (boxes are mapped back afterwards)
///     detect: min side resized up to 736, both sides to multiples of 32 -> probability map -> boxes
///             (TextBoxExtraction) -> reading order
///     crop: each box straightened (perspective warp); a crop 1.5 times taller than wide turns a quarter
///     classify: 48 x 192, batches of 6; "180" with probability > 0.9 -> the crop turns a half turn
///     recognize: height 48, batches of 6 by width (each batch padded to its widest line, at least
///                320 / 48), CTC greedy decoding over the model's `character` dictionary
///     lines with confidence < 0.5 are dropped
///
/// The folder holds det.onnx, cls.onnx and rec.onnx (`loom models pull pp-ocrv4`).
public final class PPOCR: Sendable {
    public static let detectorFileName = "det.onnx"
    public static let classifierFileName = "cls.onnx"
    public static let recognizerFileName = "rec.onnx"

    public struct Options: Sendable {
        /// Lines whose confidence is below this are dropped (RapidOCR's text_score).
        public var minimumConfidence: Float = 0.5
        /// Run the 180-degree classifier (RapidOCR's use_cls).
        public var classifiesDirection = true
        public init() {}
    }

    let detector: ONNXProgram
    let classifier: ONNXProgram?
    let recognizer: ONNXProgram
    /// Index 0 is CTC's blank; the dictionary follows, then a space (RapidOCR's CTCLabelDecode).
    let characters: [String]
    let boxExtraction = TextBoxExtraction()

    static let detectionMinimumSide = 736
    static let classifierSize = (height: 48, width: 192)
    static let recognizerHeight = 48
    static let recognizerMinimumRatio = 320.0 / 48.0
    static let batchSize = 6

    public convenience init(contentsOf url: URL) throws {
        try self.init(ModelRegistry.describe(url, as: .ppOCR))
    }

    public init(_ model: ModelDescription) throws {
        let folder = try model.requiring(.ppOCR).folder
        detector = try ONNXProgram(contentsOf: folder.appendingPathComponent(Self.detectorFileName))
        let classifierURL = folder.appendingPathComponent(Self.classifierFileName)
        classifier = FileManager.default.fileExists(atPath: classifierURL.path) ? try ONNXProgram(contentsOf: classifierURL) : nil
        recognizer = try ONNXProgram(contentsOf: folder.appendingPathComponent(Self.recognizerFileName))
        guard let dictionary = recognizer.metadata["character"], !dictionary.isEmpty else {
            throw WeightFileError(file: recognizer.path, .malformedHeader("the recognizer has no `character` dictionary in its metadata"))
        }
        // Split on "\n" scalars only: a dictionary entry may be a combining mark.
        let entries = dictionary.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
        characters = ["blank"] + (entries.last == "" ? entries.dropLast() : entries[...]) + [" "]
    }

    /// The text lines of `image`, in reading order.
    public func read(_ image: RGBImage, options: Options = Options()) throws -> [OCRLine] {
        guard image.width > 0, image.height > 0 else { return [] }
        let prepared = PreparedImage(image)
        let boxes = try detect(prepared.image)
        guard !boxes.isEmpty else { return [] }
        var crops = boxes.map { Self.crop(prepared.image, box: $0) }
        var turned = [Bool](repeating: false, count: crops.count)
        if options.classifiesDirection, classifier != nil {
            turned = try classify(crops)
            for i in crops.indices where turned[i] { crops[i] = OCRImageOperations.rotatedHalfTurn(crops[i]) }
        }
        let texts = try recognize(crops)
        return zip(boxes, texts).enumerated().compactMap { index, pair in
            let (box, (text, confidence)) = pair
            guard confidence >= options.minimumConfidence else { return nil }
            return OCRLine(text: text, confidence: confidence, box: prepared.original(box), turned: turned[index])
        }
    }

    // MARK: - Stages

    /// Text boxes in `image`, in reading order.
    func detect(_ image: RGBImage) throws -> [[SIMD2<Double>]] {
        let (width, height) = Self.detectionSize(width: image.width, height: image.height)
        guard width > 0, height > 0 else { return [] }
        let resized = OCRImageOperations.resizeBilinear(image, width: width, height: height)
        var input = [Float](repeating: 0, count: 3 * width * height)
        OCRImageOperations.writeNormalizedBGR(resized, into: &input, offset: 0, rowLength: width, planeHeight: height)
        let map = try detector.run(Tensor(shape: [1, 3, height, width], data: input))
        let boxes = boxExtraction.boxes(probabilities: map.data, width: width, height: height, imageWidth: image.width, imageHeight: image.height)
        return TextBoxExtraction.readingOrder(boxes)
    }

    /// DetPreProcess.resize with limit_type "min": the short side up to 736, then both sides rounded
    /// (half to even, as Python's round) to multiples of 32.
    static func detectionSize(width: Int, height: Int) -> (Int, Int) {
        let shortSide = min(width, height)
        let ratio = shortSide < detectionMinimumSide ? Double(detectionMinimumSide) / Double(shortSide) : 1
        return (multipleOf32(width, scaledBy: ratio), multipleOf32(height, scaledBy: ratio))
    }

    /// RapidOCR's size rule wherever it resizes: `int(side * ratio)`, then `round(x / 32) * 32` with
    /// Python's round (half to even).
    static func multipleOf32(_ side: Int, scaledBy ratio: Double) -> Int {
        Int((Double(Int(Double(side) * ratio)) / 32).rounded(.toNearestOrEven)) * 32
    }

    /// For each crop, whether it reads upside down ("180" with probability above 0.9).
    func classify(_ crops: [RGBImage]) throws -> [Bool] {
        guard let classifier else { return [Bool](repeating: false, count: crops.count) }
        let (height, width) = Self.classifierSize
        var turned = [Bool](repeating: false, count: crops.count)
        for batch in Self.batchesByWidth(crops) {
            var input = [Float](repeating: 0, count: batch.count * 3 * height * width)
            for (slot, index) in batch.enumerated() {
                Self.writeLine(crops[index], into: &input, slot: slot, height: height, width: width)
            }
            let probabilities = try classifier.run(Tensor(shape: [batch.count, 3, height, width], data: input))
            let labels = probabilities.shape.last ?? 0
            guard labels >= 2 else { continue }
            for (slot, index) in batch.enumerated() {
                let row = probabilities.data[(slot * labels)..<((slot + 1) * labels)]
                // Label 1 is "180" (RapidOCR's label_list ['0', '180']).
                let best = row.indices.max { row[$0] < row[$1] }! - slot * labels
                turned[index] = best == 1 && row[row.startIndex + 1] > 0.9
            }
        }
        return turned
    }

    /// The text and confidence of each crop.
    func recognize(_ crops: [RGBImage]) throws -> [(String, Float)] {
        let height = Self.recognizerHeight
        var results = [(String, Float)](repeating: ("", 0), count: crops.count)
        for batch in Self.batchesByWidth(crops) {
            let ratios = batch.map { Double(crops[$0].width) / Double(crops[$0].height) }
            let width = Int(Double(height) * max(Self.recognizerMinimumRatio, ratios.max()!))
            var input = [Float](repeating: 0, count: batch.count * 3 * height * width)
            for (slot, index) in batch.enumerated() {
                Self.writeLine(crops[index], into: &input, slot: slot, height: height, width: width)
            }
            let probabilities = try recognizer.run(Tensor(shape: [batch.count, 3, height, width], data: input))
            guard probabilities.rank == 3, probabilities.shape[0] == batch.count, probabilities.shape[2] == characters.count else {
                throw WeightFileError(file: recognizer.path, .shapeMismatch(
                    tensor: recognizer.outputNames.first ?? "output", expected: [batch.count, -1, characters.count], actual: probabilities.shape))
            }
            let steps = probabilities.shape[1]
            for (slot, index) in batch.enumerated() {
                results[index] = decodeCTC(probabilities.data, offset: slot * steps * characters.count, steps: steps)
            }
        }
        return results
    }

    /// Greedy CTC: the most likely character per step, repeats merged, blanks dropped; the confidence
    /// is the mean probability of the kept steps (0 for an empty line).
    func decodeCTC(_ probabilities: [Float], offset: Int, steps: Int) -> (String, Float) {
        let classes = characters.count
        var text = "", kept: [Float] = [], previous = -1
        for t in 0..<steps {
            let row = offset + t * classes
            var best = 0, bestValue = probabilities[row]
            for c in 1..<classes where probabilities[row + c] > bestValue {
                best = c
                bestValue = probabilities[row + c]
            }
            if best != 0 && best != previous {
                text += characters[best]
                kept.append(bestValue)
            }
            previous = best
        }
        return (text, kept.isEmpty ? 0 : kept.reduce(0, +) / Float(kept.count))
    }

    /// A line crop as the classifier and the recognizer take it (`resize_norm_img`): resized to
    /// `height` and `min(width, ceil(height * w / h))`, normalized, into batch slot `slot` of a
    /// (N, 3, height, width) input whose right side stays zero (padding).
    static func writeLine(_ crop: RGBImage, into input: inout [Float], slot: Int, height: Int, width: Int) {
        // height * (w / h) in that order, as RapidOCR rounds it.
        let resizedWidth = min(width, Int((Double(height) * (Double(crop.width) / Double(crop.height))).rounded(.up)))
        let resized = OCRImageOperations.resizeBilinear(crop, width: max(resizedWidth, 1), height: height)
        OCRImageOperations.writeNormalizedBGR(resized, into: &input, offset: slot * 3 * height * width, rowLength: width, planeHeight: height)
    }

    /// Crop indices by increasing width-to-height ratio, in batches of 6, as RapidOCR batches them
    /// (similar widths pad less).
    static func batchesByWidth(_ crops: [RGBImage]) -> [[Int]] {
        let order = crops.indices.sorted {
            (Double(crops[$0].width) / Double(crops[$0].height), $0) < (Double(crops[$1].width) / Double(crops[$1].height), $1)
        }
        return stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min($0 + batchSize, order.count)]) }
    }

    /// `get_rotate_crop_image`: the box straightened to its longer side lengths; turned a quarter
    /// counter-clockwise when 1.5 times taller than wide.
    static func crop(_ image: RGBImage, box: [SIMD2<Double>]) -> RGBImage {
        let width = max(Int(max(TextBoxExtraction.length(box[0] - box[1]), TextBoxExtraction.length(box[2] - box[3]))), 1)
        let height = max(Int(max(TextBoxExtraction.length(box[0] - box[3]), TextBoxExtraction.length(box[1] - box[2]))), 1)
        let crop = OCRImageOperations.warpQuadrilateral(image, corners: box, width: width, height: height)
        return Double(height) / Double(width) >= 1.5 ? OCRImageOperations.rotatedCounterClockwise(crop) : crop
    }
}

/// RapidOCR's whole-image preparation (main.py `preprocess`, `maybe_add_letterbox`) and the way back
/// to the original image's coordinates (`_get_origin_points`).
struct PreparedImage {
    static let maximumSide = 2000, minimumSide = 30, minimumHeight = 30, maximumRatio = 8.0

    let image: RGBImage
    let originalWidth: Int, originalHeight: Int
    let ratioX: Double, ratioY: Double
    let topPadding: Int

    init(_ original: RGBImage) {
        (originalWidth, originalHeight) = (original.width, original.height)
        var image = original
        var (ratioX, ratioY) = (1.0, 1.0)
        // Too large, or too small: scaled (both sides to multiples of 32), remembering the ratios.
        func scaled(_ ratio: Double) {
            let width = max(PPOCR.multipleOf32(image.width, scaledBy: ratio), 32)
            let height = max(PPOCR.multipleOf32(image.height, scaledBy: ratio), 32)
            (ratioX, ratioY) = (Double(image.width) / Double(width), Double(image.height) / Double(height))
            image = OCRImageOperations.resizeBilinear(image, width: width, height: height)
        }
        if max(image.width, image.height) > Self.maximumSide {
            scaled(Double(Self.maximumSide) / Double(max(image.width, image.height)))
        }
        if min(image.width, image.height) < Self.minimumSide {
            scaled(Double(Self.minimumSide) / Double(min(image.width, image.height)))
        }
        // A short or very wide strip: black bands above and below give the detector room.
        var top = 0
        if image.height <= Self.minimumHeight || Double(image.width) / Double(image.height) > Self.maximumRatio {
            let paddedHeight = max(Int(Double(image.width) / Self.maximumRatio), Self.minimumHeight) * 2
            top = abs(paddedHeight - image.height) / 2
            var pixels = [UInt8](repeating: 0, count: image.width * (image.height + 2 * top) * 3)
            pixels.replaceSubrange((top * image.width * 3)..<((top + image.height) * image.width * 3), with: image.pixels)
            image = RGBImage(width: image.width, height: image.height + 2 * top, pixels: pixels)
        }
        (self.image, self.ratioX, self.ratioY, self.topPadding) = (image, ratioX, ratioY, top)
    }

    /// A box in the prepared image's pixels, in the original image's, clipped to it.
    func original(_ box: [SIMD2<Double>]) -> [SIMD2<Double>] {
        box.map { p in
            let x = Double(Float(p.x * ratioX)), y = Double(Float((p.y - Double(topPadding)) * ratioY))
            return SIMD2(min(max(x, 0), Double(originalWidth)), min(max(y, 0), Double(originalHeight)))
        }
    }
}
