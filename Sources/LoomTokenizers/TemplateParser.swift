/// The syntax tree of a chat template, and the parser that builds it from the lexer's segments.
/// Grammar and operator precedence follow jinja2/parser.py (`parse_condexpr` down to
/// `parse_unary` and `parse_filter_expr`), for the subset real chat templates use.
struct TemplateExpr: Sendable {
    indirect enum Kind: Sendable {
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

    let kind: Kind
    /// Nodes on the longest path down to a leaf. Evaluating and freeing the tree recurse this deep,
    /// and a flat chain (`1+1+...+1`, `x|string|string...`) is as deep as it is long, so the parser
    /// refuses trees taller than `TemplateLimits.maximumDepth` as it builds them.
    let height: Int

    init(_ kind: Kind) {
        self.kind = kind
        let children: [TemplateExpr?]
        switch kind {
        case .literal, .name: children = []
        case .attribute(let base, _), .test(let base, _, _), .not(let base), .negate(let base): children = [base]
        case .index(let base, let key): children = [base, key]
        case .slice(let base, let start, let end): children = [base, start, end]
        case .call(let base, let arguments), .filter(let base, _, let arguments): children = [base] + arguments
        case .binary(_, let left, let right): children = [left, right]
        case .conditional(let condition, let then, let otherwise): children = [condition, then, otherwise]
        case .list(let items): children = items
        case .dict(let pairs): children = pairs.flatMap { [$0.0, $0.1] }
        }
        height = 1 + (children.compactMap { $0?.height }.max() ?? 0)
    }
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

    /// Blocks open around the current one: parsing, rendering and freeing them recurse this deep.
    private var depth = 0

    private mutating func parseBody(until terminators: Set<String>) throws -> ([TemplateNode], String?) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= TemplateLimits.maximumDepth else {
            throw TemplateLimits.exceeded("blocks nested deeper than \(TemplateLimits.maximumDepth) levels")
        }
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
        TemplateParser.error("\(message) in '\(quotedSource)'")
    }

    /// The tag as errors quote it: a hostile one can be megabytes long.
    var quotedSource: String { source.count > 80 ? source.prefix(80) + "…" : source }

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

    /// Every nested expression (in parentheses, brackets, arguments, subscripts, `else` branches)
    /// comes through here, and `not` and `-` recurse into themselves: counting these three bounds
    /// the parser's recursion.
    mutating func parseConditional() throws -> TemplateExpr {
        try enter()
        defer { depth -= 1 }
        let value = try parseOr()
        guard accept("if") else { return value }
        let condition = try parseOr()
        var otherwise: TemplateExpr? = nil
        if accept("else") { otherwise = try parseConditional() }
        return try make(.conditional(condition, then: value, otherwise: otherwise))
    }

    mutating func parseOr() throws -> TemplateExpr {
        var left = try parseAnd()
        while accept("or") { left = try make(.binary("or", left, try parseAnd())) }
        return left
    }

    mutating func parseAnd() throws -> TemplateExpr {
        var left = try parseNot()
        while accept("and") { left = try make(.binary("and", left, try parseNot())) }
        return left
    }

    mutating func parseNot() throws -> TemplateExpr {
        if accept("not") {
            try enter()
            defer { depth -= 1 }
            return try make(.not(try parseNot()))
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> TemplateExpr {
        var left = try parseMath1()
        while true {
            if case .symbol(let op) = current, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                position += 1
                left = try make(.binary(op, left, try parseMath1()))
            } else if accept("in") {
                left = try make(.binary("in", left, try parseMath1()))
            } else if current == .name("not"), position + 1 < tokens.count, tokens[position + 1] == .name("in") {
                position += 2
                left = try make(.not(try make(.binary("in", left, try parseMath1()))))
            } else {
                return left
            }
        }
    }

    mutating func parseMath1() throws -> TemplateExpr {
        var left = try parseConcat()
        while case .symbol(let op) = current, op == "+" || op == "-" {
            position += 1
            left = try make(.binary(op, left, try parseConcat()))
        }
        return left
    }

    mutating func parseConcat() throws -> TemplateExpr {
        var left = try parseMath2()
        while accept("~") { left = try make(.binary("~", left, try parseMath2())) }
        return left
    }

    mutating func parseMath2() throws -> TemplateExpr {
        var left = try parseUnary()
        while case .symbol(let op) = current, ["*", "/", "//", "%"].contains(op) {
            position += 1
            left = try make(.binary(op, left, try parseUnary()))
        }
        return left
    }

    mutating func parseUnary() throws -> TemplateExpr {
        if accept("-") {
            try enter()
            defer { depth -= 1 }
            return try parseFilters(try make(.negate(try parseUnary())))
        }
        return try parseFilters(try parsePostfix(try parsePrimary()))
    }

    mutating func parseFilters(_ base: TemplateExpr) throws -> TemplateExpr {
        var expr = base
        while true {
            if accept("|") {
                let filter = try name()
                expr = try make(.filter(expr, filter, accept("(") ? try parseArguments() : []))
            } else if accept("is") {
                let negated = accept("not")
                expr = try make(.test(expr, try name(), negated: negated))
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
                expr = try make(.attribute(expr, try name()))
            } else if accept("(") {
                expr = try make(.call(expr, try parseArguments()))
            } else if accept("[") {
                var start: TemplateExpr? = nil
                if current != .symbol(":") { start = try parseConditional() }
                if accept(":") {
                    var end: TemplateExpr? = nil
                    if current != .symbol("]") { end = try parseConditional() }
                    if accept(":") { throw error("slice steps are not supported") }
                    expr = try make(.slice(expr, start, end))
                } else {
                    guard let start else { throw error("empty subscript") }
                    expr = try make(.index(expr, start))
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
        guard depth <= TemplateLimits.maximumDepth else {
            depth -= 1
            throw tooDeep
        }
    }

    /// A node of the tree, refused when it would make the tree taller than the limit.
    func make(_ kind: TemplateExpr.Kind) throws -> TemplateExpr {
        let expr = TemplateExpr(kind)
        guard expr.height <= TemplateLimits.maximumDepth else { throw tooDeep }
        return expr
    }

    var tooDeep: TokenizerError {
        TemplateLimits.exceeded("expression nested deeper than \(TemplateLimits.maximumDepth) levels in '\(quotedSource)'")
    }

    mutating func parsePrimary() throws -> TemplateExpr {
        guard let token = current else { throw error("expression ends too early") }
        position += 1
        switch token {
        case .string(var text):
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current { text += more; position += 1 }
            return TemplateExpr(.literal(.string(text)))
        case .int(let value): return TemplateExpr(.literal(.int(value)))
        case .double(let value): return TemplateExpr(.literal(.double(value)))
        case .name(let n):
            switch n {
            case "true", "True": return TemplateExpr(.literal(.bool(true)))
            case "false", "False": return TemplateExpr(.literal(.bool(false)))
            case "none", "None": return TemplateExpr(.literal(.none))
            default: return TemplateExpr(.name(n))
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
            return try make(.list(items))
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
            return try make(.dict(pairs))
        case .symbol(let s):
            throw error("unexpected '\(s)'")
        }
    }
}
