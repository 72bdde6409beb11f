/// One message of a conversation: plain text, or parts (text and images) for vision models.
public struct ChatMessage: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        case image
    }

    public let role: String
    public let content: TemplateValue

    public init(role: String, content: String) {
        self.role = role
        self.content = .string(content)
    }

    /// Content as a list of `{"type": "text", "text": ...}` / `{"type": "image"}` parts, the shape
    /// vision chat templates (SmolVLM, Idefics3) read.
    public init(role: String, parts: [Part]) {
        self.role = role
        content = .list(parts.map { part in
            switch part {
            case .text(let text): .dictionary([("type", .string("text")), ("text", .string(text))])
            case .image: .dictionary([("type", .string("image"))])
            }
        })
    }

    var value: TemplateValue { .dictionary([("role", .string(role)), ("content", content)]) }
}

/// A chat template (the Jinja2 `chat_template` string of tokenizer_config.json or GGUF
/// `tokenizer.chat_template`), rendered as transformers' `apply_chat_template(tokenize=False)`
/// renders it. Supports the Jinja2 subset real templates use; anything else is an error at
/// parse time quoting the construct. Rendering stays within `TemplateLimits` (depth, text size,
/// steps), so a hostile template in a model file fails with an error instead of crashing or hanging.
public struct ChatTemplate: Sendable {
    public let source: String
    private let nodes: [TemplateNode]

    public init(source: String) throws {
        self.source = source
        nodes = try TemplateParser.parse(source)
    }

    /// - Parameters:
    ///   - extra: more variables, e.g. `bos_token`, `eos_token` (undefined unless given).
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool,
                       extra: [String: TemplateValue] = [:]) throws -> String {
        var globals = extra
        globals["messages"] = .list(messages.map(\.value))
        globals["add_generation_prompt"] = .bool(addGenerationPrompt)
        var evaluator = TemplateEvaluator(scopes: [globals, [:]])
        for value in globals.values { try evaluator.budget.checkNesting(value) }
        var output = TemplateText("the rendered prompt")
        try evaluator.render(nodes, into: &output)
        return output.string
    }
}

extension Tokenizer {
    /// The file's chat template with `bos_token` / `eos_token` filled from this tokenizer.
    public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard let chatTemplate else {
            throw TokenizerError(.template, source: source, "this tokenizer carries no chat template")
        }
        var extra: [String: TemplateValue] = [:]
        if let bos = bosTokenID, let token = token(for: bos) { extra["bos_token"] = .string(token) }
        if let eos = eosTokenID, let token = token(for: eos) { extra["eos_token"] = .string(token) }
        return try ChatTemplate(source: chatTemplate).render(messages: messages, addGenerationPrompt: addGenerationPrompt, extra: extra)
    }
}
