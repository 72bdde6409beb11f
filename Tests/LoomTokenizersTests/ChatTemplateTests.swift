import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Rendered text equal to transformers' Jinja environment (trim_blocks, lstrip_blocks) exactly.
@Suite struct ChatTemplateTests {
    struct TemplatesFixture: Decodable {
        struct Case: Decodable {
            let template: String
            let messages: [Message]
            let add_generation_prompt: Bool
            let extra_flag: Bool
            let rendered: String
        }
        let sources: [String: String]
        let cases: [Case]
    }

    /// A message whose content is a string or a list of parts.
    struct Message: Decodable {
        struct Part: Decodable {
            let type: String
            let text: String?
        }
        let role: String
        let text: String?
        let parts: [Part]?

        enum Keys: String, CodingKey { case role, content }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            role = try container.decode(String.self, forKey: .role)
            text = try? container.decode(String.self, forKey: .content)
            parts = text == nil ? try container.decode([Part].self, forKey: .content) : nil
        }

        var chatMessage: ChatMessage {
            if let text { return ChatMessage(role: role, content: text) }
            return ChatMessage(role: role, parts: (parts ?? []).map { $0.type == "image" ? .image : .text($0.text ?? "") })
        }
    }

    @Test func templatesMatchJinja() throws {
        let fixture = try TokenizerFixtures.load("templates.json", as: TemplatesFixture.self)
        var compiled: [String: ChatTemplate] = [:]
        for (name, source) in fixture.sources { compiled[name] = try ChatTemplate(source: source) }
        for item in fixture.cases {
            let template = try #require(compiled[item.template])
            var extra: [String: TemplateValue] = ["bos_token": .string("<s>"), "eos_token": .string("</s>")]
            if item.extra_flag { extra["extra_flag"] = .bool(true) }
            let rendered = try template.render(messages: item.messages.map(\.chatMessage),
                                               addGenerationPrompt: item.add_generation_prompt, extra: extra)
            #expect(Array(rendered.utf8) == Array(item.rendered.utf8), "\(item.template) generation=\(item.add_generation_prompt)")
        }
        print("chat templates: \(fixture.cases.count) renders of \(fixture.sources.keys.sorted()) equal to jinja2")
    }

    @Test func smolLMTemplateFromGGUFMatchesApplyChatTemplate() throws {
        guard let tokenizer = try TokenizerFixtures.smolLM() else { return }
        let expected = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM.self)
        for item in expected.templates {
            let messages = item.messages.map { ChatMessage(role: $0["role"] ?? "", content: $0["content"] ?? "") }
            #expect(Array(try tokenizer.renderChat(messages, addGenerationPrompt: item.add_generation_prompt).utf8) == Array(item.rendered.utf8))
        }
        print("smollm2 chat template: \(expected.templates.count) conversations equal to apply_chat_template")
    }

    func expectTemplateError(_ source: String, containing needle: String, render: Bool = false) {
        do {
            let template = try ChatTemplate(source: source)
            if render { _ = try template.render(messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: false) }
            Issue.record("expected a template error containing '\(needle)' for \(source.prefix(80))")
        } catch let error as TokenizerError {
            #expect(error.kind == .template)
            #expect(error.description.contains(needle), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func syntaxErrorsQuoteTheConstruct() {
        expectTemplateError("{% macro greet() %}hi{% endmacro %}", containing: "unsupported template statement '{% macro greet() %}'")
        expectTemplateError("{{ messages | selectattr('role') }}", containing: "unsupported filter '| selectattr'", render: true)
        expectTemplateError("{% if x %}never closed", containing: "never closed with '{% endif %}'")
        expectTemplateError("{% for m in messages %}x", containing: "never closed with '{% endfor %}'")
        expectTemplateError("{% endif %}", containing: "'{% endif %}' without a matching opening tag")
        expectTemplateError("{{ 'abc }}", containing: "unclosed tag")
        expectTemplateError("{{ 1 + }}", containing: "expression ends too early in '{{ 1 + }}'")
        expectTemplateError("{{ a b }}", containing: "unsupported syntax after a complete expression")
        expectTemplateError("{{ x @ y }}", containing: "unexpected character '@'")
        expectTemplateError("{{ f(x=1) }}", containing: "keyword arguments are not supported")
        expectTemplateError("{{ 'a' + 1 }}", containing: "cannot add string and int", render: true)
        expectTemplateError("{{ x is prime }}", containing: "unsupported test 'is prime'", render: true)
    }

    @Test func hostileTemplatesFailCleanly() {
        expectTemplateError("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}",
                            containing: "nested deeper than 64")
        expectTemplateError("{{ " + String(repeating: "not ", count: 5000) + "x }}", containing: "nested deeper than 64")
        expectTemplateError(String(repeating: "{% if x %}", count: 500), containing: "blocks nested deeper than 64")
        expectTemplateError("{{ 'ab' * 1000000000000 }}", containing: "a string repeated with '*' would be longer than 4 MiB", render: true)
        expectTemplateError("{{ 9223372036854775807 + 1 }}", containing: "integer overflow", render: true)
        expectTemplateError("{{ 1 // 0 }}", containing: "division by zero", render: true)
    }

    @Test func pythonIntegerArithmetic() throws {
        let template = try ChatTemplate(source: "{{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 * 3 - 1 }} {{ 1 / 2 }} {{ 'ab' * 2 }}")
        // Python: -4 2 -2 5 0.5 abab
        #expect(try template.render(messages: [], addGenerationPrompt: false) == "-4 2 -2 5 0.5 abab")
    }

    @Test func raiseExceptionStopsWithTheTemplatesMessage() {
        let source = "{% for m in messages %}{% if m['role'] == 'user' and loop.first %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}{% endfor %}"
        expectTemplateError(source, containing: "raise_exception: Conversation roles must alternate user/assistant", render: true)
    }

    @Test func tokenizerWithoutTemplate() throws {
        guard let tokenizer = try TokenizerFixtures.whisper("whisper-tiny.en") else { return }
        #expect(throws: TokenizerError.self) { _ = try tokenizer.renderChat([], addGenerationPrompt: true) }
    }
}
