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
    var rendered: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: pythonRepr(topLevel: true)
        }
    }

    /// Python's `repr` (strings quoted inside containers, like `str(['a', 1])`).
    func pythonRepr(topLevel: Bool = false) -> String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isFinite && d == d.rounded() && abs(d) < 1e16 { return String(format: "%.1f", d) }
            return String(d)
        case .string(let s):
            if topLevel { return s }
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
            return out
        case .list(let items): return "[" + items.map { $0.pythonRepr() }.joined(separator: ", ") + "]"
        case .dict(let keys, let values):
            return "{" + keys.map { TemplateValue.string($0).pythonRepr() + ": " + (values[$0] ?? .undefined).pythonRepr() }.joined(separator: ", ") + "}"
        }
    }

    /// `json.dumps(value, ensure_ascii=False)`, transformers' `tojson` filter.
    func json() -> String {
        switch self {
        case .undefined, .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double: return pythonRepr()
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
            return out + "\""
        case .list(let items): return "[" + items.map { $0.json() }.joined(separator: ", ") + "]"
        case .dict(let keys, let values):
            return "{" + keys.map { TemplateValue.string($0).json() + ": " + (values[$0] ?? .undefined).json() }.joined(separator: ", ") + "}"
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
