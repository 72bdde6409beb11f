import Foundation

/// Renders a parsed template. Semantics follow Jinja2 as transformers runs it: Undefined prints
/// nothing and is falsy, a missing key or index gives Undefined, `loop` carries index/first/last,
/// `raise_exception(msg)` stops rendering with the template's message. Every evaluation and loop
/// iteration is paid for from `budget`, and every value made is checked against `TemplateLimits`.
struct TemplateEvaluator {
    /// Innermost scope last. `set` inside a loop stays in the loop's scope, as in Jinja2.
    var scopes: [[String: TemplateValue]]
    let budget = TemplateBudget()

    func error(_ message: String) -> TokenizerError { TemplateParser.error(message) }

    func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined
    }

    mutating func render(_ nodes: [TemplateNode], into output: inout TemplateText) throws {
        for node in nodes {
            switch node {
            case .text(let text): try output.append(text)
            case .output(let expr): try evaluate(expr).render(into: &output)
            case .set(let name, let expr): scopes[scopes.count - 1][name] = try evaluate(expr)
            case .ifChain(let branches, let otherwise):
                var taken = false
                for (condition, body) in branches where try evaluate(condition).isTruthy {
                    try render(body, into: &output)
                    taken = true
                    break
                }
                if !taken { try render(otherwise, into: &output) }
            case .forLoop(let targets, let iterable, let filter, let body, let otherwise):
                try renderLoop(targets, try evaluate(iterable), filter, body, otherwise, into: &output)
            }
        }
    }

    private static let loopFields = ["index", "index0", "first", "last", "length", "revindex", "revindex0", "previtem", "nextitem"]

    private mutating func renderLoop(_ targets: [String], _ iterable: TemplateValue, _ filter: TemplateExpr?,
                                     _ body: [TemplateNode], _ otherwise: [TemplateNode], into output: inout TemplateText) throws {
        var items: [TemplateValue]
        switch iterable {
        case .list(let list): items = list
        case .dict(let keys, _): items = keys.map { .string($0) }
        case .string(let s):
            try budget.spend(s.utf8.count / TemplateLimits.bytesPerStep)
            try TemplateLimits.checkList(items: s.count)
            items = s.map { .string(String($0)) }
        case .undefined, .none: items = []
        default: throw error("cannot loop over a \(iterable.typeName)")
        }
        func bind(_ item: TemplateValue) throws -> [String: TemplateValue] {
            if targets.count == 1 { return [targets[0]: item] }
            guard case .list(let parts) = item, parts.count == targets.count else {
                throw error("cannot unpack \(item.shortRepr) into \(targets.joined(separator: ", "))")
            }
            return Dictionary(uniqueKeysWithValues: zip(targets, parts))
        }
        if let filter {
            var kept: [TemplateValue] = []
            for item in items {
                try budget.spend(TemplateLimits.iterationSteps)
                scopes.append(try bind(item))
                defer { scopes.removeLast() }
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { return try render(otherwise, into: &output) }
        for (index, item) in items.enumerated() {
            try budget.spend(TemplateLimits.iterationSteps)
            var scope = try bind(item)
            // A dictionary literal sized up front: `loop` is made once per iteration.
            scope["loop"] = .dict(keys: Self.loopFields, values: [
                "index": .int(index + 1), "index0": .int(index), "first": .bool(index == 0),
                "last": .bool(index == items.count - 1), "length": .int(items.count),
                "revindex": .int(items.count - index), "revindex0": .int(items.count - index - 1),
                "previtem": index > 0 ? items[index - 1] : .undefined,
                "nextitem": index + 1 < items.count ? items[index + 1] : .undefined,
            ])
            scopes.append(scope)
            defer { scopes.removeLast() }
            try render(body, into: &output)
        }
    }

    func evaluate(_ expr: TemplateExpr) throws -> TemplateValue {
        try budget.spend(1)
        switch expr.kind {
        case .literal(let value): return value
        case .name(let name): return lookup(name)
        case .attribute(let base, let name):
            let value = try evaluate(base)
            if case .dict(_, let values) = value { return values[name] ?? .undefined }
            return .undefined
        case .index(let base, let key):
            let container = try evaluate(base)
            return try paid(subscriptValue(container, try evaluate(key)), reading: container)
        case .slice(let base, let start, let end):
            let container = try evaluate(base)
            return try paid(try slice(container, start.map(evaluate), end.map(evaluate)), reading: container)
        case .call(let callee, let arguments):
            let values = try arguments.map(evaluate)
            if case .attribute(let base, let method) = callee.kind {
                let receiver = try evaluate(base)
                return try paid(try TemplateBuiltins.method(method, on: receiver, values, budget), reading: receiver)
            }
            guard case .name(let function) = callee.kind else { throw error("only named functions can be called") }
            return try paid(try TemplateBuiltins.function(function, values))
        case .filter(let base, let name, let arguments):
            let value = try evaluate(base)
            return try paid(try TemplateBuiltins.filter(name, value, try arguments.map(evaluate), budget), reading: value)
        case .test(let base, let name, let negated):
            let result = try TemplateBuiltins.test(name, try evaluate(base))
            return .bool(negated ? !result : result)
        case .not(let inner): return .bool(!(try evaluate(inner).isTruthy))
        case .negate(let inner):
            switch try evaluate(inner) {
            case .int(let i):
                guard i != .min else { throw error("integer overflow in '-'") }
                return .int(-i)
            case .double(let d): return .double(-d)
            case let other: throw error("cannot negate a \(other.typeName)")
            }
        case .binary(let op, let leftExpr, let rightExpr):
            let left = try evaluate(leftExpr)
            if op == "and" { return left.isTruthy ? try evaluate(rightExpr) : left }
            if op == "or" { return left.isTruthy ? left : try evaluate(rightExpr) }
            let right = try evaluate(rightExpr)
            return try paid(try TemplateBuiltins.binary(op, left, right, budget), reading: left, right)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined
        case .list(let items): return try nested(.list(try items.map(evaluate)))
        case .dict(let pairs):
            return try nested(.dictionary(try pairs.map { key, value in (try evaluate(key).rendered(), try evaluate(value)) }))
        }
    }

    /// An operation's result, once its work (the values it read and the one it made) is paid for.
    private func paid(_ result: TemplateValue, reading operands: TemplateValue...) throws -> TemplateValue {
        try budget.spend(producing: result, reading: operands)
        return result
    }

    /// A list or dict the template wrote out, once its nesting is checked (a list literal holding a
    /// variable is one level deeper than the variable).
    private func nested(_ value: TemplateValue) throws -> TemplateValue {
        try budget.checkNesting(value)
        return value
    }

    func subscriptValue(_ base: TemplateValue, _ key: TemplateValue) -> TemplateValue {
        switch (base, key) {
        case (.dict(_, let values), .string(let k)): return values[k] ?? .undefined
        case (.list(let items), .int(let i)):
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? items[index] : .undefined
        case (.string(let s), .int(let i)):
            let chars = Array(s)
            let index = i < 0 ? chars.count + i : i
            return chars.indices.contains(index) ? .string(String(chars[index])) : .undefined
        default: return .undefined
        }
    }

    func slice(_ base: TemplateValue, _ start: TemplateValue?, _ end: TemplateValue?) throws -> TemplateValue {
        func bounds(_ count: Int) throws -> Range<Int> {
            func clamp(_ v: TemplateValue?, _ fallback: Int) throws -> Int {
                guard let v, v != .none else { return fallback }
                guard case .int(let i) = v else { throw error("slice bounds must be integers") }
                return min(max(i < 0 ? count + i : i, 0), count)
            }
            let lower = try clamp(start, 0), upper = try clamp(end, count)
            return lower..<max(lower, upper)
        }
        switch base {
        case .list(let items): return .list(Array(items[try bounds(items.count)]))
        case .string(let s):
            let chars = Array(s)
            return .string(String(chars[try bounds(chars.count)]))
        default: throw error("cannot slice a \(base.typeName)")
        }
    }
}
