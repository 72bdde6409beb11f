import Foundation

/// Operators, filters, tests, functions and string/dict methods chat templates use, with
/// Jinja2 / Python semantics (jinja2/filters.py, jinja2/tests.py, Python str methods).
enum TemplateBuiltins {
    static func error(_ message: String) -> TokenizerError { TemplateParser.error(message) }

    static func binary(_ op: String, _ left: TemplateValue, _ right: TemplateValue, _ budget: TemplateBudget) throws -> TemplateValue {
        switch op {
        case "==": return .bool(try equal(left, right, budget))
        case "!=": return .bool(!(try equal(left, right, budget)))
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
                return .bool(needle.isEmpty || !offsets(of: needle, in: s, limit: 1).isEmpty)
            case .list(let items): return .bool(try items.contains { try equal($0, left, budget) })
            case .dict(_, let values):
                guard case .string(let key) = left else { return .bool(false) }
                return .bool(values[key] != nil)
            case .undefined: throw error("'in' on an undefined value")
            default: throw error("'in' needs a string, list or dict, not \(right.typeName)")
            }
        case "~":
            var text = TemplateText("the text joined with '~'")
            try left.render(into: &text)
            try right.render(into: &text)
            return .string(text.string)
        case "+":
            switch (left, right) {
            case (.string(let a), .string(let b)):
                try TemplateLimits.checkText(bytes: a.utf8.count + b.utf8.count, of: "the text joined with '+'")
                return .string(a + b)
            case (.list(let a), .list(let b)):
                try TemplateLimits.checkList(items: a.count + b.count)
                return .list(a + b)
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
                let bytes = s.utf8.count.multipliedReportingOverflow(by: max(n, 0))
                try TemplateLimits.checkText(bytes: bytes.overflow ? .max : bytes.partialValue, of: "a string repeated with '*'")
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

    /// Python's `==` (`1 == 1.0 == True`, dicts equal whatever their order), item by item. Each item
    /// and each `bytesPerStep` bytes compared costs a step: lists that share their items can be far
    /// bigger to walk than to build.
    static func equal(_ a: TemplateValue, _ b: TemplateValue, _ budget: TemplateBudget) throws -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            try budget.spend(min(x.utf8.count, y.utf8.count) / TemplateLimits.bytesPerStep)
            return x == y
        case (.list(let x), .list(let y)):
            guard x.count == y.count else { return false }
            try budget.spend(x.count)
            for (p, q) in zip(x, y) where !(try equal(p, q, budget)) { return false }
            return true
        case (.dict(let xKeys, let x), .dict(let yKeys, let y)):
            guard xKeys.count == yKeys.count else { return false }
            try budget.spend(xKeys.count)
            for key in xKeys {
                guard let p = x[key], let q = y[key], try equal(p, q, budget) else { return false }
            }
            return true
        default:
            return a == b
        }
    }

    static func filter(_ name: String, _ value: TemplateValue, _ arguments: [TemplateValue], _ budget: TemplateBudget) throws -> TemplateValue {
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
        case ("string", _): return .string(try value.rendered())
        case ("tojson", _): return .string(try value.json())
        case ("first", .list(let l)): return l.first ?? .undefined
        case ("last", .list(let l)): return l.last ?? .undefined
        case ("reverse", .list(let l)): return .list(l.reversed())
        case ("list", .list): return value
        case ("join", .list(let l)):
            let separator = try arguments.first?.rendered() ?? ""
            var text = TemplateText("the text of '| join'")
            for (index, item) in l.enumerated() {
                if index > 0 { try text.append(separator) }
                try item.render(into: &text)
            }
            return .string(text.string)
        case ("default", _), ("d", _):
            if value == .undefined || (arguments.count > 1 && arguments[1].isTruthy && !value.isTruthy) {
                return arguments.first ?? .string("")
            }
            return value
        case ("int", _):
            if case .string(let s) = value { return .int(Int(s.trimmingWhitespace()) ?? 0) }
            let d = (number(value) ?? 0).rounded(.towardZero)
            guard let i = Int(exactly: d) else { throw error("cannot convert \(value.shortRepr) to an integer") }
            return .int(i)
        case ("items", .dict): return try items(value, budget)
        case ("replace", .string(let s)):
            guard arguments.count == 2 else { throw error("replace needs two arguments") }
            return .string(try replacing(s, try arguments[0].rendered(), with: try arguments[1].rendered()))
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
            throw TokenizerError(.template, source: "chat template", "raise_exception: \(try arguments.first?.rendered() ?? "")")
        case "range":
            let ints = arguments.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
            guard ints.count == arguments.count, (1...2).contains(ints.count) else { throw error("range needs one or two integers") }
            let (start, end) = ints.count == 1 ? (0, ints[0]) : (ints[0], ints[1])
            let length = end.subtractingReportingOverflow(start)
            try TemplateLimits.checkList(items: length.overflow ? .max : length.partialValue)
            return .list(start < end ? (start..<end).map { .int($0) } : [])
        default:
            throw error("unsupported function '\(name)()'")
        }
    }

    static func method(_ name: String, on value: TemplateValue, _ arguments: [TemplateValue], _ budget: TemplateBudget) throws -> TemplateValue {
        switch (value, name) {
        case (.string(let s), "strip"), (.string(let s), "lstrip"), (.string(let s), "rstrip"):
            let characters = try arguments.first.map { Set(try $0.rendered()) }
            let strip: (Character) -> Bool = { characters?.contains($0) ?? $0.isWhitespace }
            var result = Substring(s)
            if name != "rstrip" { result = result.drop(while: strip) }
            if name != "lstrip" { while let last = result.last, strip(last) { result = result.dropLast() } }
            return .string(String(result))
        case (.string(let s), "upper"): return .string(s.uppercased())
        case (.string(let s), "lower"): return .string(s.lowercased())
        case (.string(let s), "title"): return .string(s.capitalized)
        case (.string(let s), "capitalize"): return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case (.string(let s), "startswith"): return .bool(s.hasPrefix(try arguments.first?.rendered() ?? ""))
        case (.string(let s), "endswith"): return .bool(s.hasSuffix(try arguments.first?.rendered() ?? ""))
        case (.string(let s), "split"):
            // Splitting stops one piece past the list limit: enough to know the list is too long.
            let limit = TemplateLimits.maximumListItems
            let pieces: [String]
            if let separator = try arguments.first?.rendered() {
                guard !separator.isEmpty else { throw error("split() with an empty separator") }
                let bytes = Array(s.utf8)
                let starts = offsets(of: separator, in: s, limit: limit)
                let ends = starts + [bytes.count]
                let begins = [0] + starts.map { $0 + separator.utf8.count }
                pieces = zip(begins, ends).map { String(decoding: bytes[$0..<$1], as: UTF8.self) }
            } else {
                pieces = s.split(maxSplits: limit, whereSeparator: \.isWhitespace).map { String($0) }
            }
            try TemplateLimits.checkList(items: pieces.count)
            return .list(pieces.map { .string($0) })
        case (.string(let s), "replace"):
            guard arguments.count == 2 else { throw error("replace() needs two arguments") }
            return .string(try replacing(s, try arguments[0].rendered(), with: try arguments[1].rendered()))
        case (.dict, "items"): return try items(value, budget)
        case (.dict(let keys, _), "keys"): return .list(keys.map { .string($0) })
        case (.dict(let keys, let values), "values"): return .list(keys.map { (values[$0] ?? .undefined) })
        case (.dict(_, let values), "get"):
            guard case .string(let key)? = arguments.first else { return arguments.count > 1 ? arguments[1] : .none }
            return values[key] ?? (arguments.count > 1 ? arguments[1] : .none)
        default:
            throw error("unsupported method '.\(name)()' on a \(value.typeName)")
        }
    }

    /// `[[key, value], ...]`: two levels deeper than the values, so checked against the nesting limit.
    static func items(_ dict: TemplateValue, _ budget: TemplateBudget) throws -> TemplateValue {
        guard case .dict(let keys, let values) = dict else { throw error("items() needs a dict") }
        let pairs = TemplateValue.list(keys.map { .list([.string($0), (values[$0] ?? .undefined)]) })
        try budget.checkNesting(pairs)
        return pairs
    }

    /// `s.replace(old, new)`, its size checked before it is built (a short `old` and a long `new`
    /// multiply).
    static func replacing(_ s: String, _ old: String, with new: String) throws -> String {
        guard !old.isEmpty else { return s }
        let matches = offsets(of: old, in: s)
        let size = s.utf8.count + matches.count * (new.utf8.count - old.utf8.count)
        try TemplateLimits.checkText(bytes: size, of: "the text of 'replace'")
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(size)
        var start = 0
        for match in matches {
            out += bytes[start..<match]
            out += new.utf8
            start = match + old.utf8.count
        }
        out += bytes[start...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Where `needle` (not empty) occurs in `text`: UTF-8 byte offsets, left to right without
    /// overlaps as Python's `in`, `split` and `replace` find them, at most `limit` of them. A match
    /// of whole UTF-8 strings always falls on code point boundaries, so this matches code point by
    /// code point as Python does. Knuth–Morris–Pratt: linear in both lengths however they are made
    /// (a naive search of a long needle in a long text can run for hours).
    static func offsets(of needle: String, in text: String, limit: Int = .max) -> [Int] {
        let pattern = Array(needle.utf8)
        // border[i]: length of the longest proper prefix of pattern[...i] that is also its suffix.
        var border = [Int](repeating: 0, count: pattern.count)
        var length = 0
        for i in pattern.indices.dropFirst() {
            while length > 0 && pattern[i] != pattern[length] { length = border[length - 1] }
            if pattern[i] == pattern[length] { length += 1 }
            border[i] = length
        }
        var text = text
        return text.withUTF8 { bytes in
            var found: [Int] = []
            var matched = 0
            for (i, byte) in bytes.enumerated() {
                while matched > 0 && byte != pattern[matched] { matched = border[matched - 1] }
                if byte == pattern[matched] { matched += 1 }
                if matched == pattern.count {
                    found.append(i + 1 - pattern.count)
                    if found.count == limit { break }
                    matched = 0
                }
            }
            return found
        }
    }
}
