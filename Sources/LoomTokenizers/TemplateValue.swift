import Foundation

/// A value inside a chat template: what Jinja2 variables hold when transformers renders
/// `apply_chat_template` (Python str, int, float, bool, None, list, dict, and Jinja's Undefined).
public indirect enum TemplateValue: Sendable, Equatable {
    case undefined
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    /// Keys in insertion order, as Python dicts keep them.
    case dict(keys: [String], values: [String: TemplateValue])

    public static func dictionary(_ pairs: [(String, TemplateValue)]) -> TemplateValue {
        var keys: [String] = []
        var values: [String: TemplateValue] = [:]
        for (key, value) in pairs {
            if values.updateValue(value, forKey: key) == nil { keys.append(key) }
        }
        return .dict(keys: keys, values: values)
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .dict(let keys, _): !keys.isEmpty
        }
    }

    /// `str(value)` as Jinja prints it (`{{ none }}` is "None"; Undefined prints nothing).
    func rendered() throws -> String {
        if case .string(let s) = self { return s }
        var text = TemplateText("a value printed as text")
        try render(into: &text)
        return text.string
    }

    func render(into text: inout TemplateText) throws {
        switch self {
        case .undefined: return
        case .string(let s): try text.append(s)
        default: try writeRepr(into: &text)
        }
    }

    /// Python's `repr` (strings quoted inside containers, like `str(['a', 1])`).
    func pythonRepr() throws -> String {
        var text = TemplateText("a value printed as text")
        try writeRepr(into: &text)
        return text.string
    }

    /// The repr cut short, for an error message.
    var shortRepr: String {
        guard let repr = try? pythonRepr() else { return "a \(typeName) too long to show" }
        return repr.count > 80 ? repr.prefix(80) + "…" : repr
    }

    /// Written piece by piece into `text`, so a value too big to print stops at the text limit
    /// instead of being built in memory first.
    private func writeRepr(into text: inout TemplateText) throws {
        switch self {
        case .undefined: return
        case .none: try text.append("None")
        case .bool(let b): try text.append(b ? "True" : "False")
        case .int(let i): try text.append(String(i))
        case .double(let d):
            if d.isFinite && d == d.rounded() && abs(d) < 1e16 { try text.append(String(format: "%.1f", d)) } else { try text.append(String(d)) }
        case .string(let s):
            let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = String(quote)
            for c in s {
                switch c {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                case quote: out += "\\\(quote)"
                default: out.append(c)
                }
            }
            out.append(quote)
            try text.append(out)
        case .list(let items):
            try text.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { try text.append(", ") }
                try item.writeRepr(into: &text)
            }
            try text.append("]")
        case .dict(let keys, let values):
            try text.append("{")
            for (index, key) in keys.enumerated() {
                if index > 0 { try text.append(", ") }
                try TemplateValue.string(key).writeRepr(into: &text)
                try text.append(": ")
                try (values[key] ?? .undefined).writeRepr(into: &text)
            }
            try text.append("}")
        }
    }

    /// `json.dumps(value, ensure_ascii=False)`, transformers' `tojson` filter.
    func json() throws -> String {
        var text = TemplateText("a value printed as text")
        try writeJSON(into: &text)
        return text.string
    }

    private func writeJSON(into text: inout TemplateText) throws {
        switch self {
        case .undefined, .none: try text.append("null")
        case .bool(let b): try text.append(b ? "true" : "false")
        case .int(let i): try text.append(String(i))
        case .double: try writeRepr(into: &text)
        case .string(let s):
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
                }
            }
            try text.append(out + "\"")
        case .list(let items):
            try text.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { try text.append(", ") }
                try item.writeJSON(into: &text)
            }
            try text.append("]")
        case .dict(let keys, let values):
            try text.append("{")
            for (index, key) in keys.enumerated() {
                if index > 0 { try text.append(", ") }
                try TemplateValue.string(key).writeJSON(into: &text)
                try text.append(": ")
                try (values[key] ?? .undefined).writeJSON(into: &text)
            }
            try text.append("}")
        }
    }

    var typeName: String {
        switch self {
        case .undefined: "undefined"
        case .none: "none"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "string"
        case .list: "list"
        case .dict: "dict"
        }
    }
}
