import Foundation
@testable import LoomTokenizers
import Testing

/// A chat template ships inside the model file, so it is untrusted input: however it is written it
/// must end in an error that blames the template, never a crash (stack overflow), a memory bomb or
/// a hang. Each test renders on a 512 KiB thread stack, the smallest a caller's thread may have
/// (macOS secondary threads), so a recursion that only fits the 8 MiB main thread fails here.
@Suite struct ChatTemplateBudgetTests {
    static let stackBytes = 512 << 10

    /// Parses and renders `source` on a thread with a 512 KiB stack; the rendered text or the error.
    func render(_ source: String) -> Result<String, TokenizerError> {
        final class Outcome: @unchecked Sendable { var result: Result<String, TokenizerError>? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            do {
                let template = try ChatTemplate(source: source)
                outcome.result = .success(try template.render(
                    messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true))
            } catch let error as TokenizerError {
                outcome.result = .failure(error)
            } catch {
                outcome.result = .failure(TokenizerError(.malformed, source: "test", "unexpected error \(error)"))
            }
        }
        thread.stackSize = Self.stackBytes
        thread.start()
        done.wait()
        return outcome.result!
    }

    /// The template fails with an error naming the limit (`needle`) and blaming the model's template.
    func expectLimit(_ source: String, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        switch render(source) {
        case .success(let text):
            Issue.record("rendered \(text.utf8.count) bytes instead of failing with '\(needle)'", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(error.kind == .template, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(needle), "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains("the model's chat template is at fault"), "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.utf8.count < 400, "the error quotes too much: \(error.description.prefix(200))", sourceLocation: sourceLocation)
        }
    }

    static func chain(_ head: String, _ link: String, _ count: Int = 60_000) -> String {
        "{{ " + head + String(repeating: link, count: count) + " }}"
    }

    static let tooDeep = "expression nested deeper than \(TemplateLimits.maximumDepth) levels"
    static let tooNested = "values nested deeper than \(TemplateLimits.maximumDepth) levels"
    static let tooLong = "would be longer than \(TemplateLimits.maximumTextBytes >> 20) MiB"
    static let tooMany = "a list of more than \(TemplateLimits.maximumListItems) items"
    static let tooSlow = "rendering takes more than \(TemplateLimits.maximumSteps) steps"

    @Test func flatChainsAreRefusedAtTheDepthLimit() {
        let deep = Self.tooDeep
        expectLimit(Self.chain("1", "+1"), deep)
        expectLimit(Self.chain("'a'", "~'a'"), deep)
        expectLimit(Self.chain("1", "|string"), deep)
        expectLimit(Self.chain("1", " is defined"), deep)
        expectLimit(Self.chain("1", " == 1"), deep)
        expectLimit(Self.chain("true", " and true"), deep)
        expectLimit(Self.chain("x", ".a"), deep)
        expectLimit(Self.chain("x", "[0]"), deep)
        expectLimit(Self.chain("x", "()"), deep)
        expectLimit("{{ " + String(repeating: "-", count: 60_000) + "1 }}", deep)
        expectLimit("{{ " + String(repeating: "not ", count: 60_000) + "x }}", deep)
        expectLimit(Self.chain("1", " if x else 1"), deep)
    }

    @Test func nestedCallsSubscriptsAndBracketsAreRefusedAtTheDepthLimit() {
        let deep = Self.tooDeep
        let n = 60_000
        expectLimit("{{ " + String(repeating: "f(", count: n) + "1" + String(repeating: ")", count: n) + " }}", deep)
        expectLimit("{{ " + String(repeating: "x[", count: n) + "0" + String(repeating: "]", count: n) + " }}", deep)
        expectLimit("{{ " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + " }}", deep)
        expectLimit("{{ " + String(repeating: "{'a': ", count: n) + "1" + String(repeating: "}", count: n) + " }}", deep)
        expectLimit(String(repeating: "{% for a in b %}", count: n), "blocks nested deeper than \(TemplateLimits.maximumDepth) levels")
    }

    @Test func valuesNestedBeyondTheLimitAreRefused() {
        // Each `set` wraps the list once more: 60 000 statements would nest 60 000 deep.
        let wrap = "{% set x = [] %}" + String(repeating: "{% set x = [x] %}", count: 60_000) + "{{ x }}"
        expectLimit(wrap, Self.tooNested)
        // A dict as deep as allowed; its items are a list of pairs, one level deeper.
        let items = "{% set x = {} %}" + String(repeating: "{% set x = {'k': x} %}", count: TemplateLimits.maximumDepth - 1)
        #expect(throws: Never.self) { try render(items + "{{ x | length }}").get() }
        expectLimit(items + "{{ x | items }}", Self.tooNested)
    }

    /// The deepest template the limits let through still renders on the small stack: blocks,
    /// expressions and values at their limits at once.
    @Test func everythingAtTheLimitRendersOnASmallStack() throws {
        let levels = TemplateLimits.maximumDepth - 2
        let value = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        var inner = "{% set v = " + value + " %}{% set w = " + value + " %}"
        inner += "{{ v }}{{ v == w }}{{ v | tojson }}{{ [v] | length }}"
        inner += "{{ " + String(repeating: "(", count: levels) + "1" + String(repeating: ")", count: levels) + " }}"
        inner += "{{ 1" + String(repeating: "+1", count: levels) + " }}"
        inner += "{{ 'a'" + String(repeating: "|string", count: levels) + " }}"
        inner += "{{ " + String(repeating: "not ", count: levels) + "false }}"
        let source = String(repeating: "{% for a in [1] %}", count: levels) + inner + String(repeating: "{% endfor %}", count: levels)
        let rendered = try render(source).get()
        #expect(rendered == value + "True" + value + "1" + "1" + "\(levels + 1)" + "a" + "False")
    }

    @Test func renderedTextIsCapped() {
        // The issue's memory bomb: sixty million bytes, a million times.
        expectLimit("{% for a in range(1000000) %}{{ 'x' * 60000000 }}{% endfor %}",
                    "a string repeated with '*' \(Self.tooLong)")
        // Small pieces adding up.
        expectLimit("{% for a in range(1000000) %}{{ 'x' * 1000000 }}{% endfor %}",
                    "the rendered prompt \(Self.tooLong)")
        expectLimit("{% for a in range(1000000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}",
                    "the rendered prompt \(Self.tooLong)")
    }

    @Test func everyStringAndListIsCappedBeforeItIsBuilt() throws {
        // Three quarters of the text limit: allowed alone, too long twice over.
        let big = "{% set s = 'x' * \(TemplateLimits.maximumTextBytes * 3 / 4) %}"
        let items = TemplateLimits.maximumListItems
        expectLimit(big + "{{ (s ~ s) | length }}", "the text joined with '~' \(Self.tooLong)")
        expectLimit(big + "{{ (s + s) | length }}", "the text joined with '+' \(Self.tooLong)")
        expectLimit(big + "{{ [s, s] | join | length }}", "the text of '| join' \(Self.tooLong)")
        expectLimit(big + "{{ s.replace('x', 'yy') | length }}", "the text of 'replace' \(Self.tooLong)")
        expectLimit(big + "{{ [s, s] | string | length }}", "a value printed as text \(Self.tooLong)")
        expectLimit(big + "{{ [s, s] | tojson | length }}", "a value printed as text \(Self.tooLong)")
        #expect(try render("{{ range(\(items)) | length }}").get() == "\(items)")
        expectLimit("{{ range(\(items + 1)) | length }}", Self.tooMany)
        expectLimit("{{ range(-9223372036854775807, 9223372036854775807) | length }}", Self.tooMany)
        expectLimit("{% set l = range(\(items)) %}{{ (l + [1]) | length }}", Self.tooMany)
        expectLimit("{{ (',' * \(items)).split(',') | length }}", Self.tooMany)
        expectLimit("{{ ('a ' * \(items + 1)).split() | length }}", Self.tooMany)
        expectLimit("{% for c in 'x' * \(items + 1) %}{% endfor %}", Self.tooMany)
        // A list that holds one list twice, sixteen times over: small to build, 6.7 MB to print.
        expectLimit("{% set x = 'x' * 100 %}" + String(repeating: "{% set x = [x, x] %}", count: 16) + "{{ x | string | length }}",
                    "a value printed as text \(Self.tooLong)")
    }

    @Test func runawayLoopsRunOutOfSteps() {
        let steps = Self.tooSlow
        // The issue's hang: a million million iterations.
        expectLimit("{% for a in range(1000000) %}{% for b in range(1000000) %}{% endfor %}{% endfor %}", steps)
        // Few iterations, each touching megabytes.
        let big = "{% set s = 'x' * \(TemplateLimits.maximumTextBytes) %}"
        expectLimit(big + "{% for i in range(1000000) %}{% set t = s.upper() %}{% endfor %}", steps)
        expectLimit(big + "{% for i in range(1000000) %}{% if 'y' in s %}{% endif %}{% endfor %}", steps)
        // Comparing lists inside lists walks every item, however cheap the outer lists look.
        expectLimit("{% set x = [range(1000000)] %}{% set y = [range(1000000)] %}"
                    + "{% for i in range(1000000) %}{% if x == y %}{% endif %}{% endfor %}", steps)
        // Doubling a shared list: 2^40 items to walk after 40 cheap statements.
        expectLimit("{% set x = [] %}" + String(repeating: "{% set x = [x, x] %}", count: 40) + "{{ x | length }}", steps)
    }

    /// Real prompts sit far inside the limits: a 3 MB conversation through the Llama 3 template.
    @Test func largeRealConversationsRender() throws {
        let fixture = try TokenizerFixtures.load("templates.json", as: ChatTemplateTests.TemplatesFixture.self)
        let template = try ChatTemplate(source: try #require(fixture.sources["llama3"]))
        let bos: [String: TemplateValue] = ["bos_token": .string("<s>")]
        let long = String(repeating: "word ", count: 600_000)
        let rendered = try template.render(messages: [ChatMessage(role: "user", content: long)], addGenerationPrompt: true, extra: bos)
        #expect(rendered == "<s><|start_header_id|>user<|end_header_id|>\n\n" + long.dropLast()
            + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        let turns = (0..<2000).map { ChatMessage(role: $0 % 2 == 0 ? "user" : "assistant", content: "message \($0) " + String(repeating: "x", count: 500)) }
        #expect(try template.render(messages: turns, addGenerationPrompt: true, extra: bos).contains("message 1999 x"))
    }
}
