import Foundation

/// Operators, filters, tests, functions and string/dict methods chat templates use, with
/// Jinja2 / Python semantics (jinja2/filters.py, jinja2/tests.py, Python str methods).
enum TemplateBuiltins {
    static func error(_ message: String) -> TokenizerError { TemplateParser.error(message) }
    /// Bounds string repetition so a template cannot ask for unbounded memory.
    static let maximumStringBytes = 64 << 20

    static func binary(_ op: String, _ left: TemplateValue, _ right: TemplateValue) throws -> TemplateValue {
        switch op {
        case "==": return .bool(equal(left, right))
        case "!=": return .bool(!equal(left, right))
        case "<", ">", "<=", ">=":
            let order: Bool
            switch (left, right) {
            case (.string(let a), .string(let b)):
                order = op == "<" ? a < b : op == ">" ? a > b : op == "<=" ? a <= b : a >= b
            default:
                guard let a = number(left), let b = number(right) else {
                    throw error("cannot compare \(left.typeName) with \(right.typeName) using '\(op)'")
                }
                order = op == "<" ? a < b : op == ">" ? a > b : op == "<=" ? a <= b : a >= b
            }
            return .bool(order)
        case "in":
            switch right {
            case .string(let s):
                guard case .string(let needle) = left else { throw error("'in <string>' needs a string on the left") }
                return .bool(needle.isEmpty || s.contains(needle))
            case .list(let items): return .bool(items.contains { equal($0, left) })
            case .dict(_, let values):
                guard case .string(let key) = left else { return .bool(false) }
                return .bool(values[key] != nil)
            case .undefined: throw error("'in' on an undefined value")
            default: throw error("'in' needs a string, list or dict, not \(right.typeName)")
            }
        case "~": return .string(left.rendered + right.rendered)
        case "+":
            switch (left, right) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.list(let a), .list(let b)): return .list(a + b)
            case (.int(let a), .int(let b)):
                let sum = a.addingReportingOverflow(b)
                guard !sum.overflow else { throw error("integer overflow in '+'") }
                return .int(sum.partialValue)
            default:
                guard let a = number(left), let b = number(right) else {
                    throw error("cannot add \(left.typeName) and \(right.typeName) with '+' (use '~' to join as text)")
                }
                return .double(a + b)
            }
        case "-", "*", "/", "//", "%":
            if op == "*", case .string(let s) = left, case .int(let n) = right {
                guard n <= 0 || s.utf8.count.multipliedReportingOverflow(by: n).partialValue <= maximumStringBytes,
                      !s.utf8.count.multipliedReportingOverflow(by: max(n, 0)).overflow else {
                    throw error("string repetition would exceed \(maximumStringBytes) bytes")
                }
                return .string(String(repeating: s, count: max(0, n)))
            }
            if case .int(let a) = left, case .int(let b) = right, op != "/" {
                if (op == "//" || op == "%") && b == 0 { throw error("division by zero") }
                let result: (partialValue: Int, overflow: Bool)
                switch op {
                case "-": result = a.subtractingReportingOverflow(b)
                case "*": result = a.multipliedReportingOverflow(by: b)
                case "//":
                    // Python floors the quotient.
                    let q = a.dividedReportingOverflow(by: b)
                    let floored = (q.partialValue * b != a) && ((a < 0) != (b < 0)) ? q.partialValue - 1 : q.partialValue
                    result = (floored, q.overflow)
                default:
                    let r = a.remainderReportingOverflow(dividingBy: b).partialValue
                    result = (r != 0 && (r < 0) != (b < 0) ? r + b : r, false)
                }
                guard !result.overflow else { throw error("integer overflow in '\(op)'") }
                return .int(result.partialValue)
            }
            guard let a = number(left), let b = number(right) else {
                throw error("cannot apply '\(op)' to \(left.typeName) and \(right.typeName)")
            }
            switch op {
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "/": guard b != 0 else { throw error("division by zero") }; return .double(a / b)
            case "//": guard b != 0 else { throw error("division by zero") }; return .double((a / b).rounded(.down))
            default: guard b != 0 else { throw error("division by zero") }; return .double(a - b * (a / b).rounded(.down))
            }
        default: throw error("unsupported operator '\(op)'")
        }
    }

    static func number(_ value: TemplateValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    static func equal(_ a: TemplateValue, _ b: TemplateValue) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        return a == b
    }

    static func filter(_ name: String, _ value: TemplateValue, _ arguments: [TemplateValue]) throws -> TemplateValue {
        switch (name, value) {
        case ("trim", .string(let s)): return .string(s.trimmingWhitespace())
        case ("upper", .string(let s)): return .string(s.uppercased())
        case ("lower", .string(let s)): return .string(s.lowercased())
        case ("capitalize", .string(let s)): return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case ("title", .string(let s)): return .string(s.capitalized)
        case ("length", _), ("count", _):
            switch value {
            case .string(let s): return .int(s.count)
            case .list(let l): return .int(l.count)
            case .dict(let keys, _): return .int(keys.count)
            case .undefined: return .int(0)
            default: throw error("\(value.typeName) has no length")
            }
        case ("string", _): return .string(value.rendered)
        case ("tojson", _): return .string(value.json())
        case ("first", .list(let l)): return l.first ?? .undefined
        case ("last", .list(let l)): return l.last ?? .undefined
        case ("reverse", .list(let l)): return .list(l.reversed())
        case ("list", .list): return value
        case ("join", .list(let l)):
            let separator = arguments.first?.rendered ?? ""
            return .string(l.map(\.rendered).joined(separator: separator))
        case ("default", _), ("d", _):
            if value == .undefined || (arguments.count > 1 && arguments[1].isTruthy && !value.isTruthy) {
                return arguments.first ?? .string("")
            }
            return value
        case ("int", _):
            if case .string(let s) = value { return .int(Int(s.trimmingWhitespace()) ?? 0) }
            let d = (number(value) ?? 0).rounded(.towardZero)
            guard let i = Int(exactly: d) else { throw error("cannot convert \(value.pythonRepr()) to an integer") }
            return .int(i)
        case ("items", .dict(let keys, let values)):
            return .list(keys.map { .list([.string($0), (values[$0] ?? .undefined)]) })
        case ("replace", .string(let s)):
            guard arguments.count == 2 else { throw error("replace needs two arguments") }
            return .string(s.replacingOccurrences(of: arguments[0].rendered, with: arguments[1].rendered))
        default:
            throw error("unsupported filter '| \(name)' on a \(value.typeName)")
        }
    }

    static func test(_ name: String, _ value: TemplateValue) throws -> Bool {
        switch name {
        case "defined": return value != .undefined
        case "undefined": return value == .undefined
        case "none": return value == .none
        case "string": if case .string = value { return true }; return false
        case "number": if case .int = value { return true }; if case .double = value { return true }; return false
        case "integer": if case .int = value { return true }; return false
        case "boolean": if case .bool = value { return true }; return false
        case "true": return value == .bool(true)
        case "false": return value == .bool(false)
        case "mapping": if case .dict = value { return true }; return false
        case "sequence", "iterable":
            switch value {
            case .list, .string, .dict: return true
            default: return false
            }
        case "odd", "even":
            guard case .int(let i) = value else { throw error("'is \(name)' needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        default: throw error("unsupported test 'is \(name)'")
        }
    }

    static func function(_ name: String, _ arguments: [TemplateValue]) throws -> TemplateValue {
        switch name {
        case "raise_exception":
            throw TokenizerError(.template, source: "chat template", "raise_exception: \(arguments.first?.rendered ?? "")")
        case "range":
            let ints = arguments.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
            guard ints.count == arguments.count, (1...2).contains(ints.count) else { throw error("range needs one or two integers") }
            let (start, end) = ints.count == 1 ? (0, ints[0]) : (ints[0], ints[1])
            guard end - start <= 1_000_000 else { throw error("range too long") }
            return .list(start < end ? (start..<end).map { .int($0) } : [])
        default:
            throw error("unsupported function '\(name)()'")
        }
    }

    static func method(_ name: String, on value: TemplateValue, _ arguments: [TemplateValue]) throws -> TemplateValue {
        switch (value, name) {
        case (.string(let s), "strip"), (.string(let s), "lstrip"), (.string(let s), "rstrip"):
            let characters = arguments.first.map { Set($0.rendered) }
            let strip: (Character) -> Bool = { characters?.contains($0) ?? $0.isWhitespace }
            var result = Substring(s)
            if name != "rstrip" { result = result.drop(while: strip) }
            if name != "lstrip" { while let last = result.last, strip(last) { result = result.dropLast() } }
            return .string(String(result))
        case (.string(let s), "upper"): return .string(s.uppercased())
        case (.string(let s), "lower"): return .string(s.lowercased())
        case (.string(let s), "title"): return .string(s.capitalized)
        case (.string(let s), "capitalize"): return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case (.string(let s), "startswith"): return .bool(s.hasPrefix(arguments.first?.rendered ?? ""))
        case (.string(let s), "endswith"): return .bool(s.hasSuffix(arguments.first?.rendered ?? ""))
        case (.string(let s), "split"):
            if let separator = arguments.first?.rendered {
                return .list(s.components(separatedBy: separator).map { .string($0) })
            }
            return .list(s.split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
        case (.string(let s), "replace"):
            guard arguments.count == 2 else { throw error("replace() needs two arguments") }
            return .string(s.replacingOccurrences(of: arguments[0].rendered, with: arguments[1].rendered))
        case (.dict(let keys, let values), "items"): return .list(keys.map { .list([.string($0), (values[$0] ?? .undefined)]) })
        case (.dict(let keys, _), "keys"): return .list(keys.map { .string($0) })
        case (.dict(let keys, let values), "values"): return .list(keys.map { (values[$0] ?? .undefined) })
        case (.dict(_, let values), "get"):
            guard case .string(let key)? = arguments.first else { return arguments.count > 1 ? arguments[1] : .none }
            return values[key] ?? (arguments.count > 1 ? arguments[1] : .none)
        default:
            throw error("unsupported method '.\(name)()' on a \(value.typeName)")
        }
    }
}
