/// A minimal reader of the protobuf wire format, enough for sentencepiece_model.proto and ONNX
/// initializers: varints,
/// length-delimited fields (strings, bytes, nested messages), fixed32 (float) and fixed64 (skipped).
/// Reference: https://protobuf.dev/programming-guides/encoding/
public struct ProtobufReader {
    public enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    /// Why the bytes are not protobuf; the caller adds the file name.
    public enum Failure: Error, Equatable {
        case truncated(String)
        case malformed(String)
    }

    public enum Value {
        case varint(UInt64)
        case fixed32(UInt32)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    public var isAtEnd: Bool { position >= bytes.endIndex }

    public mutating func readVarint() throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw .truncated("the file ends inside a varint") }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw .malformed("a varint is longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func readFixed(_ count: Int) throws(Failure) -> UInt64 {
        guard bytes.endIndex - position >= count else { throw .truncated("the file ends inside a \(count * 8)-bit field") }
        var result: UInt64 = 0
        for i in 0..<count { result |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += count
        return result
    }

    /// The next field's number and value, nil at the end of the message.
    public mutating func next() throws(Failure) -> (field: Int, value: Value)? {
        guard !isAtEnd else { return nil }
        let key = try readVarint()
        let field = key >> 3
        guard field > 0, field < 1 << 29 else { throw .malformed("field number \(field) is out of range") }
        guard let wire = WireType(rawValue: UInt8(key & 7)) else { throw .malformed("unknown wire type \(key & 7)") }
        switch wire {
        case .varint: return (Int(field), .varint(try readVarint()))
        case .fixed64: return (Int(field), .fixed64(try readFixed(8)))
        case .fixed32: return (Int(field), .fixed32(UInt32(try readFixed(4))))
        case .lengthDelimited:
            let length = try readVarint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw .truncated("a field claims \(length) bytes but only \(bytes.endIndex - position) remain")
            }
            let start = position
            position += Int(length)
            return (Int(field), .bytes(bytes[start..<position]))
        case .startGroup, .endGroup:
            throw .malformed("protobuf groups are not used by SentencePiece or ONNX files")
        }
    }
}

extension ProtobufReader.Value {
    public var integer: Int? {
        if case .varint(let v) = self { return Int(truncatingIfNeeded: v) }
        return nil
    }

    public var bool: Bool? {
        if case .varint(let v) = self { return v != 0 }
        return nil
    }

    public var float: Float? {
        if case .fixed32(let bits) = self { return Float(bitPattern: bits) }
        return nil
    }

    public var data: ArraySlice<UInt8>? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    /// A length-delimited field as UTF-8 text (invalid sequences repaired, as protobuf's parsers of proto2 strings do not check).
    public var string: String? {
        data.map { String(decoding: $0, as: UTF8.self) }
    }
}
