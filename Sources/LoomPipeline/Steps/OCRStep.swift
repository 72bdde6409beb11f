import Foundation
import LoomMedia
import LoomModels

/// `uses: ocr`: the text printed in each image (PP-OCRv4, as `loom ocr` reads it): one line of text
/// per line found, in reading order, for the write, embed and index steps.
public struct OCRStep: PipelineStep {
    public static let kind = "ocr"
    public static let summary = "text printed in images (PP-OCRv4 -> lines of text)"
    public static let parameters = [
        ParameterSpec("model", .model, required: true, help: "an OCR model under models: (pp-ocrv4)"),
        ParameterSpec("min_confidence", .number(0...1), default: .number(0.5), help: "lines read with a lower confidence are dropped"),
        ParameterSpec("direction", .boolean, default: .boolean(true), help: "turn upside-down lines before reading them (the 180-degree classifier)"),
    ]
    public static let accepts: Set<ArtifactKind> = [.media]
    public static let produces = ArtifactKind.text
    public static let mediaKinds: Set<MediaKind>? = [.image]

    let model: ResolvedModel
    let models: PipelineModels
    let options: PPOCR.Options

    public init(_ setup: StepSetup) throws {
        model = setup.models["model"]!
        models = setup.pipelineModels
        var options = PPOCR.Options()
        options.minimumConfidence = Float(setup.parameters["min_confidence"]?.number ?? 0.5)
        options.classifiesDirection = setup.parameters["direction"]?.boolean ?? true
        self.options = options
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        guard let image = VisionModel.image(inputs) else { return nil }
        let lines = try models.textReader(model).read(image, options: options)
        return .text(lines.map(\.text).joined(separator: "\n"))
    }
}
