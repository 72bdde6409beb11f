/// The syntax tree of a chat template, and the parser that builds it from the lexer's segments.
/// Grammar and operator precedence follow jinja2/parser.py (`parse_condexpr` down to
/// `parse_unary` and `parse_filter_expr`), for the subset real chat templates use.
indirect enum TemplateExpr: Sendable {
    case literal(TemplateValue)
    case name(String)
    case attribute(TemplateExpr, String)
    case index(TemplateExpr, TemplateExpr)
    case slice(TemplateExpr, TemplateExpr?, TemplateExpr?)
    case call(TemplateExpr, [TemplateExpr])
    case filter(TemplateExpr, String, [TemplateExpr])
    case test(TemplateExpr, String, negated: Bool)
    case not(TemplateExpr)
    case negate(TemplateExpr)
    case binary(String, TemplateExpr, TemplateExpr)
    case conditional(TemplateExpr, then: TemplateExpr, otherwise: TemplateExpr?)
    case list([TemplateExpr])
    case dict([(TemplateExpr, TemplateExpr)])
}

indirect enum TemplateNode: Sendable {
    case text(String)
    case output(TemplateExpr)
    case ifChain([(TemplateExpr, [TemplateNode])], otherwise: [TemplateNode])
    case forLoop(targets: [String], iterable: TemplateExpr, filter: TemplateExpr?, body: [TemplateNode], otherwise: [TemplateNode])
    case set(String, TemplateExpr)
}

struct TemplateParser {
    typealias Token = TemplateLexer.ExprToken
    private let segments: [TemplateLexer.Segment]
    private var position = 0

    static func parse(_ source: String) throws -> [TemplateNode] {
        var parser = TemplateParser(segments: try TemplateLexer.segments(source))
        let (nodes, end) = try parser.parseBody(until: [])
        if let end { throw Self.error("'{% \(end) %}' without a matching opening tag") }
        return nodes
    }

    private init(segments: [TemplateLexer.Segment]) { self.segments = segments }

    static func error(_ message: String) -> TokenizerError {
        TokenizerError(.template, source: "chat template", message)
    }

    /// Nodes up to a statement whose keyword is in `terminators` (returned with it, tokens after
    /// the keyword left for the caller in `pendingTokens`).
    private var pendingTokens: [Token] = []
    private var pendingSource = ""

    /// Blocks nested deeper than this are refused (a crafted template could exhaust the stack).
    static let maximumDepth = 100
    private var depth = 0

    private mutating func parseBody(until terminators: Set<String>) throws -> ([TemplateNode], String?) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw Self.error("blocks nested deeper than \(Self.maximumDepth)") }
        var nodes: [TemplateNode] = []
        while position < segments.count {
            let segment = segments[position]
            position += 1
            switch segment {
            case .text(let text): nodes.append(.text(text))
            case .output(let tokens, let source):
                var expr = ExpressionParser(tokens: tokens, source: source)
                nodes.append(.output(try expr.parseAll()))
            case .statement(let tokens, let source):
                guard case .name(let keyword) = tokens.first else {
                    throw Self.error("unsupported template syntax '\(source)'")
                }
                if terminators.contains(keyword) {
                    pendingTokens = Array(tokens.dropFirst())
                    pendingSource = source
                    return (nodes, keyword)
                }
                var expr = ExpressionParser(tokens: Array(tokens.dropFirst()), source: source)
                switch keyword {
                case "if":
                    var branches: [(TemplateExpr, [TemplateNode])] = []
                    var condition = try expr.parseAll()
                    var otherwise: [TemplateNode] = []
                    while true {
                        let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                        branches.append((condition, body))
                        guard let end else { throw Self.error("'\(source)' is never closed with '{% endif %}'") }
                        if end == "elif" {
                            var next = ExpressionParser(tokens: pendingTokens, source: pendingSource)
                            condition = try next.parseAll()
                        } else if end == "else" {
                            let (body, close) = try parseBody(until: ["endif"])
                            guard close != nil else { throw Self.error("'\(source)' is never closed with '{% endif %}'") }
                            otherwise = body
                            break
                        } else {
                            break
                        }
                    }
                    nodes.append(.ifChain(branches, otherwise: otherwise))
                case "for":
                    let (targets, iterable, filter) = try expr.parseForHeader()
                    let (body, end) = try parseBody(until: ["else", "endfor"])
                    var otherwise: [TemplateNode] = []
                    if end == "else" {
                        let (elseBody, close) = try parseBody(until: ["endfor"])
                        guard close != nil else { throw Self.error("'\(source)' is never closed with '{% endfor %}'") }
                        otherwise = elseBody
                    } else if end == nil {
                        throw Self.error("'\(source)' is never closed with '{% endfor %}'")
                    }
                    nodes.append(.forLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise))
                case "set":
                    let (name, value) = try expr.parseSet()
                    nodes.append(.set(name, value))
                case "endif", "endfor", "elif", "else":
                    throw Self.error("'\(source)' without a matching opening tag")
                default:
                    throw Self.error("unsupported template statement '\(source)'")
                }
            }
        }
        return (nodes, nil)
    }
}

/// Recursive descent over one tag's tokens.
struct ExpressionParser {
    typealias Token = TemplateLexer.ExprToken
    let tokens: [Token]
    let source: String
    var position = 0

    init(tokens: [Token], source: String) {
        self.tokens = tokens
        self.source = source
    }

    func error(_ message: String) -> TokenizerError {
        TemplateParser.error("\(message) in '\(source)'")
    }

    var current: Token? { position < tokens.count ? tokens[position] : nil }

    mutating func accept(_ symbol: String) -> Bool {
        if current == .symbol(symbol) || current == .name(symbol) { position += 1; return true }
        return false
    }

    mutating func expect(_ symbol: String) throws {
        guard accept(symbol) else { throw error("expected '\(symbol)'") }
    }

    mutating func name() throws -> String {
        guard case .name(let n) = current else { throw error("expected a name") }
        position += 1
        return n
    }

    mutating func parseAll() throws -> TemplateExpr {
        let expr = try parseConditional()
        guard position == tokens.count else { throw error("unsupported syntax after a complete expression") }
        return expr
    }

    mutating func parseForHeader() throws -> ([String], TemplateExpr, TemplateExpr?) {
        var targets = [try name()]
        while accept(",") { targets.append(try name()) }
        try expect("in")
        let iterable = try parseOr()
        var filter: TemplateExpr? = nil
        if accept("if") { filter = try parseOr() }
        if current == .name("recursive") { throw error("recursive loops are not supported") }
        guard position == tokens.count else { throw error("unsupported syntax in for loop") }
        return (targets, iterable, filter)
    }

    mutating func parseSet() throws -> (String, TemplateExpr) {
        let target = try name()
        guard accept("=") else { throw error("only '{% set name = value %}' is supported") }
        return (target, try parseAll())
    }

    mutating func parseConditional() throws -> TemplateExpr {
        let value = try parseOr()
        guard accept("if") else { return value }
        let condition = try parseOr()
        var otherwise: TemplateExpr? = nil
        if accept("else") { otherwise = try parseConditional() }
        return .conditional(condition, then: value, otherwise: otherwise)
    }

    mutating func parseOr() throws -> TemplateExpr {
        var left = try parseAnd()
        while accept("or") { left = .binary("or", left, try parseAnd()) }
        return left
    }

    mutating func parseAnd() throws -> TemplateExpr {
        var left = try parseNot()
        while accept("and") { left = .binary("and", left, try parseNot()) }
        return left
    }

    mutating func parseNot() throws -> TemplateExpr {
        if accept("not") {
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> TemplateExpr {
        var left = try parseMath1()
        while true {
            if case .symbol(let op) = current, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                position += 1
                left = .binary(op, left, try parseMath1())
            } else if accept("in") {
                left = .binary("in", left, try parseMath1())
            } else if current == .name("not"), position + 1 < tokens.count, tokens[position + 1] == .name("in") {
                position += 2
                left = .not(.binary("in", left, try parseMath1()))
            } else {
                return left
            }
        }
    }

    mutating func parseMath1() throws -> TemplateExpr {
        var left = try parseConcat()
        while case .symbol(let op) = current, op == "+" || op == "-" {
            position += 1
            left = .binary(op, left, try parseConcat())
        }
        return left
    }

    mutating func parseConcat() throws -> TemplateExpr {
        var left = try parseMath2()
        while accept("~") { left = .binary("~", left, try parseMath2()) }
        return left
    }

    mutating func parseMath2() throws -> TemplateExpr {
        var left = try parseUnary()
        while case .symbol(let op) = current, ["*", "/", "//", "%"].contains(op) {
            position += 1
            left = .binary(op, left, try parseUnary())
        }
        return left
    }

    mutating func parseUnary() throws -> TemplateExpr {
        if accept("-") {
            try enter()
            defer { depth -= 1 }
            return try parseFilters(.negate(try parseUnary()))
        }
        return try parseFilters(try parsePostfix(try parsePrimary()))
    }

    mutating func parseFilters(_ base: TemplateExpr) throws -> TemplateExpr {
        var expr = base
        while true {
            if accept("|") {
                let filter = try name()
                expr = .filter(expr, filter, accept("(") ? try parseArguments() : [])
            } else if accept("is") {
                let negated = accept("not")
                expr = .test(expr, try name(), negated: negated)
            } else {
                return expr
            }
        }
    }

    mutating func parseArguments() throws -> [TemplateExpr] {
        var arguments: [TemplateExpr] = []
        if accept(")") { return arguments }
        repeat {
            if case .name = current, position + 1 < tokens.count, tokens[position + 1] == .symbol("=") {
                throw error("keyword arguments are not supported")
            }
            arguments.append(try parseConditional())
        } while accept(",")
        try expect(")")
        return arguments
    }

    mutating func parsePostfix(_ base: TemplateExpr) throws -> TemplateExpr {
        var expr = base
        while true {
            if accept(".") {
                expr = .attribute(expr, try name())
            } else if accept("(") {
                expr = .call(expr, try parseArguments())
            } else if accept("[") {
                var start: TemplateExpr? = nil
                if current != .symbol(":") { start = try parseConditional() }
                if accept(":") {
                    var end: TemplateExpr? = nil
                    if current != .symbol("]") { end = try parseConditional() }
                    if accept(":") { throw error("slice steps are not supported") }
                    expr = .slice(expr, start, end)
                } else {
                    guard let start else { throw error("empty subscript") }
                    expr = .index(expr, start)
                }
                try expect("]")
            } else {
                return expr
            }
        }
    }

    var depth = 0

    /// Counts one level of recursion; callers undo it with `defer { depth -= 1 }`.
    mutating func enter() throws {
        depth += 1
        guard depth <= TemplateParser.maximumDepth else {
            depth -= 1
            throw error("expression nested deeper than \(TemplateParser.maximumDepth)")
        }
    }

    mutating func parsePrimary() throws -> TemplateExpr {
        try enter()
        defer { depth -= 1 }
        guard let token = current else { throw error("expression ends too early") }
        position += 1
        switch token {
        case .string(var text):
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current { text += more; position += 1 }
            return .literal(.string(text))
        case .int(let value): return .literal(.int(value))
        case .double(let value): return .literal(.double(value))
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .symbol("("):
            let inner = try parseConditional()
            try expect(")")
            return inner
        case .symbol("["):
            var items: [TemplateExpr] = []
            if !accept("]") {
                repeat { items.append(try parseConditional()) } while accept(",")
                try expect("]")
            }
            return .list(items)
        case .symbol("{"):
            var pairs: [(TemplateExpr, TemplateExpr)] = []
            if !accept("}") {
                repeat {
                    let key = try parseConditional()
                    try expect(":")
                    pairs.append((key, try parseConditional()))
                } while accept(",")
                try expect("}")
            }
            return .dict(pairs)
        case .symbol(let s):
            throw error("unexpected '\(s)'")
        }
    }
}
