import Foundation

/// A `with:` value as written, before it is checked against a step's schema. Typing is the schema's
/// job, not YAML's: `vad: on` stays the word "on" for a choice instead of YAML 1.1's `true`.
public enum RawValue: Sendable, Equatable {
    case scalar(String, quoted: Bool)
    case list([String])
    case mapping

    var typeName: String {
        switch self {
        case .scalar(_, let quoted): return quoted ? "a quoted string" : "a scalar"
        case .list: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// A checked parameter value.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case list([String])

    public var description: String {
        switch self {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .boolean(let b): return String(b)
        case .list(let l): return "[" + l.joined(separator: ", ") + "]"
        }
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var integer: Int? { if case .integer(let i) = self { return i }; return nil }
    public var number: Double? {
        switch self {
        case .number(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    public var boolean: Bool? { if case .boolean(let b) = self { return b }; return nil }
    public var list: [String]? { if case .list(let l) = self { return l }; return nil }
}

/// What a parameter accepts.
public enum ParameterType: Sendable, Equatable, CustomStringConvertible {
    case string
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    case boolean
    case choice([String])
    /// A list of words from `allowed`; a single word is a one-element list.
    case list(allowed: [String])
    /// The name of an entry under `models:`.
    case model

    public var description: String {
        switch self {
        case .string: return "a string"
        case .integer(let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .number(let r): return "a number in \(r.lowerBound)...\(r.upperBound)"
        case .boolean: return "true or false"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        case .list(let words): return "a list of " + words.joined(separator: ", ")
        case .model: return "the name of a model under models:"
        }
    }

    /// The checked value, or a message saying what was expected.
    func check(_ raw: RawValue) -> ParameterCheck {
        let expected = "expected \(self), got \(raw.typeName)"
        switch (self, raw) {
        case (.string, .scalar(let text, _)), (.model, .scalar(let text, _)):
            return .ok(.string(text))
        case (.integer(let range), .scalar(let text, false)):
            guard let value = Int(text) else { return .bad("expected \(self), got '\(text)'") }
            return range.contains(value) ? .ok(.integer(value)) : .bad("\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        case (.number(let range), .scalar(let text, false)):
            guard let value = Double(text), value.isFinite else { return .bad("expected \(self), got '\(text)'") }
            return range.contains(value) ? .ok(.number(value)) : .bad("\(text) is outside \(range.lowerBound)...\(range.upperBound)")
        case (.boolean, .scalar(let text, false)):
            switch text.lowercased() {
            case "true", "yes": return .ok(.boolean(true))
            case "false", "no": return .ok(.boolean(false))
            default: return .bad("expected true or false, got '\(text)'")
            }
        case (.choice(let words), .scalar(let text, _)):
            return words.contains(text) ? .ok(.string(text)) : .bad("'\(text)' is not \(self)")
        case (.list(let words), .scalar(let text, _)):
            return Self.checkList([text], words)
        case (.list(let words), .list(let items)):
            return Self.checkList(items, words)
        default:
            return .bad(expected)
        }
    }

    private static func checkList(_ items: [String], _ allowed: [String]) -> ParameterCheck {
        if let bad = items.first(where: { !allowed.contains($0) }) {
            return .bad("'\(bad)' is not one of " + allowed.joined(separator: ", "))
        }
        guard !items.isEmpty else { return .bad("the list is empty; give at least one of " + allowed.joined(separator: ", ")) }
        return .ok(.list(items))
    }
}

/// A parameter value checked against its type: the value, or what was expected.
enum ParameterCheck {
    case ok(ParameterValue)
    case bad(String)
}

/// One declared parameter of a step kind: its name, type, default (nil when required) and help.
public struct ParameterSpec: Sendable {
    public let name: String
    public let type: ParameterType
    public let defaultValue: ParameterValue?
    public let required: Bool
    public let help: String

    public init(_ name: String, _ type: ParameterType, default defaultValue: ParameterValue? = nil,
                required: Bool = false, help: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.help = help
    }
}

/// A step's checked parameters: every declared one that was given or has a default.
public struct StepParameters: Sendable, Equatable {
    public var values: [String: ParameterValue]

    public init(_ values: [String: ParameterValue]) { self.values = values }

    public subscript(name: String) -> ParameterValue? { values[name] }

    /// `name=value` pairs in name order: the parameters' part of a cache key.
    public var canonical: String {
        values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: ";")
    }
}
