import Foundation
import LoomFeatures
import LoomMedia
import LoomTensor
import LoomTokenizers

/// The text and image side of an Idefics3 / SmolVLM folder: the chat template, the image-token layout,
/// the tokenizer and the image processor (with and without tiling).
///
/// Follows transformers' Idefics3Processor (transformers/models/idefics3/processing_idefics3.py; SmolVLM's
/// processor is the same for images): every `<image>` of the rendered prompt becomes, for a split image,
/// rows of `<fake_token_around_image><row_r_col_c>` + image_seq_len `<image>` per tile (a "\n" after each row),
/// then "\n<fake_token_around_image><global-img>" + image_seq_len `<image>` + `<fake_token_around_image>`;
/// an unsplit image is only that last (global) part without the leading "\n". The text is then tokenized.
public struct Idefics3Processor: Sendable {
    public let tokenizer: Tokenizer
    /// The folder's image processor (tiling as its do_image_splitting says, on for SmolVLM).
    public let imageProcessor: Idefics3ImageProcessor
    /// The same with do_image_splitting off: one tile per image (`--no-tiling`).
    public let singleTileProcessor: Idefics3ImageProcessor
    /// `<image>` tokens per tile (processor_config.json image_seq_len).
    public let imageSequenceLength: Int
    public let chatTemplate: ChatTemplate
    /// Tokens that end the answer: generation_config.json eos_token_id, the tokenizer's eos_token and
    /// `<end_of_utterance>`.
    public let endTokenIDs: Set<Int>
    let templateVariables: [String: TemplateValue]

    public static let imageToken = "<image>"
    public static let fakeImageToken = "<fake_token_around_image>"
    public static let globalImageToken = "<global-img>"

    /// SmolVLM's template (transformers' processing_smolvlm.DEFAULT_CHAT_TEMPLATE without the video branch),
    /// used when the folder carries none.
    public static let defaultChatTemplate = """
        <|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'] is string %}\
        {{': ' + message['content']}}{% else %}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}\
        {{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}\
        {% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}{% endif %}<end_of_utterance>
        {% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}
        """

    /// Reads tokenizer.json, tokenizer_config.json, the chat template (chat_template.jinja, chat_template.json
    /// or tokenizer_config.json), preprocessor_config.json (or processor_config.json's image_processor),
    /// processor_config.json's image_seq_len (else `defaultImageSequenceLength`) and generation_config.json.
    public init(folder: URL, defaultImageSequenceLength: Int) throws {
        let tokenizerFile = folder.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerFile.path) else {
            throw EncoderError.missingFile(path: tokenizerFile.path, what: "the model's tokenizer.json")
        }
        tokenizer = try Tokenizer.load(tokenizerJSON: tokenizerFile)
        let tokenizerConfig = try FolderJSON.object(folder, "tokenizer_config.json") ?? [:]
        let processorConfig = try FolderJSON.object(folder, "processor_config.json") ?? [:]

        let (imageConfig, imageFile) = try Self.imageProcessorConfig(folder: folder, processorConfig: processorConfig)
        imageProcessor = try Idefics3ImageProcessor(config: imageConfig, file: imageFile)
        var single = imageConfig
        single.doImageSplitting = false
        singleTileProcessor = try Idefics3ImageProcessor(config: single, file: imageFile)

        if let value = processorConfig["image_seq_len"] {
            guard let length = (value as? NSNumber)?.intValue, length > 0 else {
                throw EncoderError.invalidConfig(
                    file: folder.appendingPathComponent("processor_config.json").path, field: "image_seq_len", reason: "must be a positive integer")
            }
            imageSequenceLength = length
        } else {
            imageSequenceLength = defaultImageSequenceLength
        }

        let templateSource = try FolderJSON.chatTemplate(folder: folder, tokenizerConfig: tokenizerConfig) ?? Self.defaultChatTemplate
        do { chatTemplate = try ChatTemplate(source: templateSource) } catch {
            throw EncoderError.invalidConfig(file: folder.path, field: "chat_template", reason: "cannot be parsed: \(error)")
        }
        var variables: [String: TemplateValue] = [:]
        for key in ["bos_token", "eos_token"] {
            if let token = FolderJSON.tokenString(tokenizerConfig[key]) { variables[key] = .string(token) }
        }
        templateVariables = variables

        var ends = Set<Int>()
        let generation = try FolderJSON.object(folder, "generation_config.json") ?? [:]
        if let one = generation["eos_token_id"] as? NSNumber { ends.insert(one.intValue) }
        for id in (generation["eos_token_id"] as? [NSNumber]) ?? [] { ends.insert(id.intValue) }
        for token in [FolderJSON.tokenString(tokenizerConfig["eos_token"]), "<end_of_utterance>"].compactMap({ $0 }) {
            if let id = tokenizer.id(for: token) { ends.insert(id) }
        }
        endTokenIDs = ends
    }

    private static func imageProcessorConfig(folder: URL, processorConfig: [String: Any]) throws -> (PreprocessorConfig, String) {
        let url = folder.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: url.path) { return (try PreprocessorConfig.load(url), url.path) }
        let nestedFile = folder.appendingPathComponent("processor_config.json").path
        if let nested = processorConfig["image_processor"] as? [String: Any] {
            return (try PreprocessorConfig.decode(try JSONSerialization.data(withJSONObject: nested), file: nestedFile), nestedFile)
        }
        throw EncoderError.missingFile(
            path: url.path, what: "its image processor settings as preprocessor_config.json (or \"image_processor\" in processor_config.json)")
    }

    /// The layout text for one image of `rows` x `cols` tiles (0 x 0: not split), as
    /// transformers' `get_image_prompt_string`.
    public static func imagePromptString(rows: Int, cols: Int, imageSequenceLength: Int) -> String {
        let images = String(repeating: imageToken, count: imageSequenceLength)
        let global = fakeImageToken + globalImageToken + images + fakeImageToken
        if rows == 0 && cols == 0 { return global }
        var text = ""
        for r in 1...rows {
            for c in 1...cols { text += fakeImageToken + "<row_\(r)_col_\(c)>" + images }
            text += "\n"
        }
        return text + "\n" + global
    }

    /// The chat prompt for one image followed by `text`, with the assistant's turn opened.
    public func chatPrompt(_ text: String) throws -> String {
        try chatTemplate.render(
            messages: [ChatMessage(role: "user", parts: [.image, .text(text)])], addGenerationPrompt: true, extra: templateVariables)
    }

    /// `prompt` with its `<image>` markers replaced, in order, by the layouts of images with these tile grids.
    public func expandImages(in prompt: String, grids: [(rows: Int, cols: Int)]) throws -> String {
        let pieces = prompt.components(separatedBy: Self.imageToken)
        guard pieces.count - 1 == grids.count else {
            throw LlamaInputError("the prompt has \(pieces.count - 1) \(Self.imageToken) markers for \(grids.count) images; give one image per marker")
        }
        var text = pieces[0]
        for (grid, piece) in zip(grids, pieces.dropFirst()) {
            text += Self.imagePromptString(rows: grid.rows, cols: grid.cols, imageSequenceLength: imageSequenceLength) + piece
        }
        return text
    }

    /// The model inputs for one image and a rendered prompt holding one `<image>` marker: token ids and
    /// pixel values (tiles, 3, S, S). `tiling` false uses one tile (do_image_splitting off).
    public func inputs(image: RGBImage, prompt: String, tiling: Bool) throws -> (ids: [Int], pixelValues: Tensor) {
        let processed = try (tiling ? imageProcessor : singleTileProcessor).process(image)
        let text = try expandImages(in: prompt, grids: [(processed.rows, processed.cols)])
        return (tokenizer.encode(text, addSpecialTokens: true), processed.pixelValues)
    }
}

/// Optional JSON files of a model folder, read with errors that name the file.
enum FolderJSON {
    static func object(_ folder: URL, _ name: String) throws -> [String: Any]? {
        let url = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = try? Data(contentsOf: url),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EncoderError.invalidConfig(file: url.path, field: "", reason: "is not a readable JSON object; restore the file from the model's repository")
        }
        return object
    }

    /// A special token written as a string or as {"content": ...}.
    static func tokenString(_ value: Any?) -> String? {
        (value as? String) ?? ((value as? [String: Any])?["content"] as? String)
    }

    /// chat_template.jinja, chat_template.json's "chat_template", or tokenizer_config.json's "chat_template".
    static func chatTemplate(folder: URL, tokenizerConfig: [String: Any]) throws -> String? {
        let jinja = folder.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            guard let text = try? String(contentsOf: jinja, encoding: .utf8) else {
                throw EncoderError.invalidConfig(file: jinja.path, field: "", reason: "is not readable UTF-8 text")
            }
            return text
        }
        if let json = try object(folder, "chat_template.json"), let text = json["chat_template"] as? String { return text }
        return tokenizerConfig["chat_template"] as? String
    }
}
