/// A GGUF metadata value. Type numbers follow `gguf_type` (ggml/include/gguf.h) and
/// `GGUFValueType` in the gguf Python package (gguf/constants.py).
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array([GGUFValue])

    /// Any integer value as Int (nil for other kinds or when it does not fit).
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// Any float or integer value as Double.
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: int.map(Double.init)
        }
    }

    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var array: [GGUFValue]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// An array of strings (e.g. `tokenizer.ggml.tokens`), nil if any element is not a string.
    public var strings: [String]? {
        guard let items = array else { return nil }
        var result: [String] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let text = item.string else { return nil }
            result.append(text)
        }
        return result
    }
}

/// Reading metadata values from a GGUF header.
extension ByteCursor {
    /// Arrays inside arrays deeper than this are refused: a crafted file could otherwise recurse the
    /// stack away with a few bytes per level.
    static let maximumGGUFArrayDepth = 8

    /// A GGUF string: u64 byte count, then UTF-8 bytes.
    mutating func ggufString(what: String) throws -> String {
        let length = try plausibleCount(read(UInt64.self), elementBytes: 1, what: "length of \(what)")
        return try utf8String(count: length, what: what)
    }

    /// A value of GGUF type number `type`.
    mutating func ggufValue(type: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try read(UInt8.self))
        case 1: return .int8(try read(Int8.self))
        case 2: return .uint16(try read(UInt16.self))
        case 3: return .int16(try read(Int16.self))
        case 4: return .uint32(try read(UInt32.self))
        case 5: return .int32(try read(Int32.self))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self)))
        case 7:
            let byte = try read(UInt8.self)
            guard byte <= 1 else {
                throw file.error(.malformedHeader("bool value \(byte) for key '\(key)' at offset \(offset - 1)"))
            }
            return .bool(byte == 1)
        case 8: return .string(try ggufString(what: "value of '\(key)'"))
        case 9:
            guard depth < Self.maximumGGUFArrayDepth else {
                throw file.error(.malformedHeader("arrays nested deeper than \(Self.maximumGGUFArrayDepth) for key '\(key)'"))
            }
            let elementType = try read(UInt32.self)
            guard let elementBytes = Self.ggufMinimumSize(elementType) else {
                throw file.error(.malformedHeader("unknown value type \(elementType) in array '\(key)' at offset \(offset - 4)"))
            }
            let count = try plausibleCount(read(UInt64.self), elementBytes: elementBytes, what: "element count of array '\(key)'")
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count {
                items.append(try ggufValue(type: elementType, key: key, depth: depth + 1))
            }
            return .array(items)
        case 10: return .uint64(try read(UInt64.self))
        case 11: return .int64(try read(Int64.self))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self)))
        default:
            throw file.error(.malformedHeader("unknown value type \(type) for key '\(key)' at offset \(offset - 4)"))
        }
    }

    /// The fewest bytes a value of `type` takes (strings and arrays: their count field), nil if unknown.
    static func ggufMinimumSize(_ type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 8, 10, 11, 12: 8
        case 9: 12
        default: nil
        }
    }
}
