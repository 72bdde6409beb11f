import Foundation
import LoomMedia

/// The vision-language model behind caption and ask, or why there is none, with the settings both
/// steps share.
struct VisionModel: Sendable {
    let model: ResolvedModel
    let models: PipelineModels
    let engines: PipelineEngines
    let maxTokens: Int
    let tiling: Bool

    init(_ setup: StepSetup) {
        model = setup.models["model"]!
        models = setup.pipelineModels
        engines = setup.engines
        maxTokens = setup.parameters["max_tokens"]?.integer ?? 64
        tiling = setup.parameters["tiling"]?.boolean ?? true
    }

    /// The text `ask` gives for the item's image, or nil when the item has no image.
    func text(_ inputs: [StepInput], _ ask: (any VisionLanguageEngine, RGBImage) throws -> String) throws -> Artifact? {
        guard let image = Self.image(inputs) else { return nil }
        return .text(try ask(try models.vision(model, engines: engines), image))
    }

    static func unavailableReason(_ setup: StepSetup) -> String? {
        let model = setup.models["model"]
        let name = model.map { "'\($0.spec.name)' (\($0.spec.source))" } ?? "?"
        guard setup.engines.vision != nil else {
            return "vision model \(name) is not available: this build of Loom has no vision-language engine "
                + "(SmolVLM, issue #5); images are not captioned or asked about"
        }
        return nil
    }

    static func image(_ inputs: [StepInput]) -> RGBImage? {
        inputs.lazy.compactMap { input -> RGBImage? in
            if case .media(.image(let image)) = input.artifact { return image }
            return nil
        }.first
    }
}

/// `uses: caption`: one sentence about each image.
public struct CaptionStep: PipelineStep {
    public static let kind = "caption"
    public static let summary = "image captions with a vision-language model (SmolVLM)"
    public static let parameters = [
        ParameterSpec("model", .model, required: true, help: "a vision-language model under models:"),
        ParameterSpec("prompt", .string, default: .string("Describe this image in one sentence."), help: "the instruction given with the image"),
        ParameterSpec("max_tokens", .integer(1...1024), default: .integer(64), help: "longest caption, in tokens"),
        ParameterSpec("tiling", .boolean, default: .boolean(true), help: "split large images into tiles plus a global view (false: one tile, faster)"),
    ]
    public static let accepts: Set<ArtifactKind> = [.media]
    public static let produces = ArtifactKind.text
    public static let mediaKinds: Set<MediaKind>? = [.image]

    public static func unavailableReason(_ setup: StepSetup) -> String? { VisionModel.unavailableReason(setup) }

    let vision: VisionModel
    let prompt: String

    public init(_ setup: StepSetup) throws {
        vision = VisionModel(setup)
        prompt = setup.parameters["prompt"]?.string ?? ""
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        try vision.text(inputs) { engine, image in
            try engine.caption(image, prompt: prompt, maxTokens: vision.maxTokens, tiling: vision.tiling)
        }
    }
}

/// `uses: ask`: the answer to one question about each image.
public struct AskStep: PipelineStep {
    public static let kind = "ask"
    public static let summary = "visual question answering with a vision-language model (SmolVLM)"
    public static let parameters = [
        ParameterSpec("model", .model, required: true, help: "a vision-language model under models:"),
        ParameterSpec("question", .string, required: true, help: "the question asked about every image"),
        ParameterSpec("max_tokens", .integer(1...1024), default: .integer(64), help: "longest answer, in tokens"),
        ParameterSpec("tiling", .boolean, default: .boolean(true), help: "split large images into tiles plus a global view (false: one tile, faster)"),
    ]
    public static let accepts: Set<ArtifactKind> = [.media]
    public static let produces = ArtifactKind.text
    public static let mediaKinds: Set<MediaKind>? = [.image]

    public static func check(_ parameters: StepParameters, sources: [ArtifactKind]) -> [(String?, String)] {
        parameters["question"]?.string?.trimmingCharacters(in: .whitespaces).isEmpty == true
            ? [("question", "question: give the question to ask about each image")] : []
    }

    public static func unavailableReason(_ setup: StepSetup) -> String? { VisionModel.unavailableReason(setup) }

    let vision: VisionModel
    let question: String

    public init(_ setup: StepSetup) throws {
        vision = VisionModel(setup)
        question = setup.parameters["question"]?.string ?? ""
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        try vision.text(inputs) { engine, image in
            try engine.answer(question, about: image, maxTokens: vision.maxTokens, tiling: vision.tiling)
        }
    }
}
