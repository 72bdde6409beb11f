/// The budgets that keep a broken or hostile chat template (it ships inside the model file) from
/// crashing, exhausting memory or hanging whatever renders it (`loom generate`, `loom caption`).
/// A chat template turns one conversation into one prompt: real ones (Llama 3, Qwen 2.5, SmolLM2,
/// SmolVLM) nest a few levels, visit each message a few times and print about what the model reads,
/// far below every limit here. A template that reaches one is at fault, and the error says so.
enum TemplateLimits {
    /// Levels of block nesting, of one expression's syntax tree, of parser recursion and of values
    /// (lists in lists). Parsing, evaluating, printing, comparing and freeing recurse once per level,
    /// so this bounds the stack they use: parsing, the deepest, takes about 3 KiB a level, and 64
    /// levels of everything at once fit in 256 KiB, half the smallest usual thread stack (512 KiB,
    /// macOS secondary threads). Real templates stay under 10.
    static let maximumDepth = 64

    /// UTF-8 bytes of the rendered prompt and of any one string a template builds. 4 MiB is a
    /// million tokens of text (about 4 bytes a token), 8 times a 128k-token context window.
    static let maximumTextBytes = 4 << 20

    /// Items of any one list a template builds (`range()`, `+`, `split()`, the characters a loop
    /// walks). Real templates list messages and tools: hundreds.
    static let maximumListItems = 1 << 20

    /// Steps of one render, so that no template runs for long. Evaluating an expression is a step;
    /// a loop iteration is `iterationSteps` (it builds the nine fields of `loop` and a scope); every
    /// list item and every `bytesPerStep` bytes of text an operation reads or writes is one more, so
    /// a loop over big strings pays for what it does. Each costs roughly the same time, a fraction
    /// of a microsecond to a microsecond. Rendering a 3 MB message with the Llama 3 template takes
    /// about 420 000 steps, 1000 messages of 500 bytes about 100 000.
    static let maximumSteps = 5_000_000
    static let iterationSteps = 10
    static let bytesPerStep = 64

    /// The error for a template that hit a limit: which one, and that the template is at fault.
    static func exceeded(_ what: String) -> TokenizerError {
        TemplateParser.error(
            "\(what); no real prompt needs that, so the model's chat template is at fault "
                + "(fix its chat template, or run `loom generate` with --no-chat)")
    }

    static func checkSize(_ value: TemplateValue) throws {
        switch value {
        case .string(let s): try checkText(bytes: s.utf8.count, of: "a string")
        case .list(let items): try checkList(items: items.count)
        default: break
        }
    }

    /// - Parameter what: names the text for the error, e.g. "the rendered prompt".
    static func checkText(bytes: Int, of what: String) throws {
        guard bytes <= maximumTextBytes else {
            throw exceeded("\(what) would be longer than \(maximumTextBytes >> 20) MiB, the limit for the prompt and any text in it")
        }
    }

    static func checkList(items: Int) throws {
        guard items <= maximumListItems else { throw exceeded("a list of more than \(maximumListItems) items") }
    }
}

/// What one render has spent so far, checked against `TemplateLimits` as it goes.
final class TemplateBudget {
    private(set) var steps = 0

    func spend(_ count: Int) throws {
        steps += count
        guard steps <= TemplateLimits.maximumSteps else {
            throw TemplateLimits.exceeded("rendering takes more than \(TemplateLimits.maximumSteps) steps")
        }
    }

    /// One operation's work: the values it read and the one it made, each checked against the size
    /// limits (the operations that could overshoot them by more than a little check before allocating).
    func spend(producing result: TemplateValue, reading operands: [TemplateValue]) throws {
        try TemplateLimits.checkSize(result)
        try spend(1 + operands.reduce(Self.cost(of: result)) { $0 + Self.cost(of: $1) })
    }

    private static func cost(of value: TemplateValue) -> Int {
        switch value {
        case .string(let s): s.utf8.count / TemplateLimits.bytesPerStep
        case .list(let items): items.count
        case .dict(let keys, _): keys.count
        default: 0
        }
    }

    /// Refuses values nested deeper than `maximumDepth` (each list and dict visited costs a step, so
    /// a value that shares one list many times cannot make the walk itself endless).
    func checkNesting(_ value: TemplateValue, depth: Int = 1) throws {
        let children: [TemplateValue]
        switch value {
        case .list(let items): children = items
        case .dict(let keys, let values): children = keys.map { values[$0] ?? .undefined }
        default: return
        }
        guard depth <= TemplateLimits.maximumDepth else {
            throw TemplateLimits.exceeded("values nested deeper than \(TemplateLimits.maximumDepth) levels (lists in lists)")
        }
        try spend(1 + children.count)
        for child in children { try checkNesting(child, depth: depth + 1) }
    }
}

/// A string built under `TemplateLimits.maximumTextBytes`: each piece is checked before it is
/// appended, so no template can grow a string (or the prompt) past the limit.
struct TemplateText {
    /// Names the text in the error, e.g. "the rendered prompt".
    let what: String
    private(set) var string = ""

    init(_ what: String) { self.what = what }

    mutating func append(_ piece: String) throws {
        try TemplateLimits.checkText(bytes: string.utf8.count + piece.utf8.count, of: what)
        string += piece
    }
}
