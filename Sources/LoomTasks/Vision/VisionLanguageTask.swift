import Foundation
import LoomGeneration
import LoomMedia
import LoomModels
import LoomTensor
import LoomTokenizers

/// Captions and answers about images with an Idefics3 / SmolVLM model: `loom caption` and `loom ask`.
///
/// One image per request: the chat prompt (user turn = the image then the text) is expanded into the
/// image-token layout, the image's tiles go through the vision tower and connector, their features take the
/// place of the `<image>` tokens (`MultimodalPrompt`), the text model runs that prompt once, then decodes
/// token by token.
/// The model loads once and is immutable: any number of threads caption and ask with one instance at
/// the same time, each request with its own `LlamaSession`. An error `onText` throws stops a request
/// and is thrown from it; called from a task, a cancelled task stops before the next token
/// (`CancellationError`).
public final class VisionLanguageTask: Sendable {
    public let model: Idefics3Model
    public let processor: Idefics3Processor
    public let folder: URL

    public static let defaultCaptionPrompt = "Describe this image."

    /// Loads the model folder (see `VisionModelFolder.resolve` for finding it).
    public init(folder: URL) throws {
        self.folder = folder
        model = try Idefics3Model(folder: folder)
        processor = try Idefics3Processor(folder: folder, defaultImageSequenceLength: model.config.imageSequenceLength)
        if processor.imageProcessor.tileSize != model.config.visionConfig.imageSize {
            throw EncoderError.invalidConfig(
                file: folder.appendingPathComponent("preprocessor_config.json").path, field: "max_image_size.longest_edge",
                reason: "(\(processor.imageProcessor.tileSize)) must equal the vision tower's image_size (\(model.config.visionConfig.imageSize)) in config.json")
        }
    }

    /// A caption for `image`: the chat prompt "`prompt`" about the image, answered by the model.
    public func caption(
        image: RGBImage, prompt: String = VisionLanguageTask.defaultCaptionPrompt, maxTokens: Int = 64, tiling: Bool = true,
        sampling: SamplingOptions = .greedy, onText: (String) throws -> Void = { _ in }
    ) throws -> GenerationResult {
        try respond(image: image, text: prompt, maxTokens: maxTokens, tiling: tiling, sampling: sampling, onText: onText)
    }

    /// The model's answer to `question` about `image`, streamed to `onText` as it is produced.
    public func ask(
        image: RGBImage, question: String, maxTokens: Int = 256, tiling: Bool = true,
        sampling: SamplingOptions = .greedy, onText: (String) throws -> Void = { _ in }
    ) throws -> GenerationResult {
        try respond(image: image, text: question, maxTokens: maxTokens, tiling: tiling, sampling: sampling, onText: onText)
    }

    /// `caption(image:prompt:maxTokens:tiling:sampling:onText:)` for async callers. It runs on the
    /// calling task's executor until done (CPU work: a server gives these tasks an executor of their
    /// own, `withTaskExecutorPreference`); cancelling the task stops it before the next token.
    public func caption(
        image: RGBImage, prompt: String = VisionLanguageTask.defaultCaptionPrompt, maxTokens: Int = 64, tiling: Bool = true,
        sampling: SamplingOptions = .greedy, onText: @Sendable (String) throws -> Void = { _ in }
    ) async throws -> GenerationResult {
        try respond(image: image, text: prompt, maxTokens: maxTokens, tiling: tiling, sampling: sampling, onText: onText)
    }

    /// `ask(image:question:maxTokens:tiling:sampling:onText:)` for async callers, as `caption` above.
    public func ask(
        image: RGBImage, question: String, maxTokens: Int = 256, tiling: Bool = true,
        sampling: SamplingOptions = .greedy, onText: @Sendable (String) throws -> Void = { _ in }
    ) async throws -> GenerationResult {
        try respond(image: image, text: question, maxTokens: maxTokens, tiling: tiling, sampling: sampling, onText: onText)
    }

    /// The prompt for `image` and user `text`: the chat prompt's ids, split at the image's `<image>` tokens,
    /// which the image's embeddings fill.
    public func prompt(image: RGBImage, text: String, tiling: Bool) throws -> MultimodalPrompt {
        let (ids, pixels) = try processor.inputs(image: image, prompt: try processor.chatPrompt(text), tiling: tiling)
        return try MultimodalPrompt(ids: ids, markers: [model.marker], media: [try model.embeddings(for: pixels)])
    }

    private func respond(
        image: RGBImage, text: String, maxTokens: Int, tiling: Bool, sampling: SamplingOptions, onText: (String) throws -> Void
    ) throws -> GenerationResult {
        guard maxTokens >= 1 else { throw LlamaInputError("maxTokens must be at least 1, got \(maxTokens)") }
        try Task.checkCancellation()  // before the vision tower, the longest step before the first token
        let prompt = try self.prompt(image: image, text: text, tiling: tiling)
        // The context bounds the answer; added as a difference, so no maxTokens overflows the sum.
        let room = model.config.textConfig.maxPositionEmbeddings - prompt.tokenCount
        let capacity = prompt.tokenCount + min(maxTokens, room)
        guard prompt.tokenCount < capacity else {
            throw LlamaInputError(
                "the prompt with the image takes \(prompt.tokenCount) tokens; the model's context holds \(model.config.textConfig.maxPositionEmbeddings) "
                    + "(use --no-tiling for fewer image tokens)")
        }
        let session = model.language.makeSession(maxTokens: capacity)
        let stop = StopRules(maxTokens: capacity - prompt.tokenCount, eosTokenIDs: processor.endTokenIDs)
        var generator = Generator(
            model: MultimodalPromptNextToken(session: session, prompt: prompt), sampler: try Sampler(sampling), stop: stop)
        var detokenizer = StreamingDetokenizer(decoder: StreamingDecoder(tokenizer: processor.tokenizer))
        return try generator.generate(prompt: prompt.ids, detokenizer: &detokenizer) { chunk in
            if !chunk.text.isEmpty { try onText(chunk.text) }
        }
    }
}
