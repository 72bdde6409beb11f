import Foundation

/// Builds GGUF bytes field by field, so tests can write any header, including broken ones.
public struct GGUFBuilder {
    public var bytes: [UInt8] = []

    public init(version: UInt32 = 3, tensorCount: UInt64, keyCount: UInt64, magic: String = "GGUF") {
        bytes += Array(magic.utf8)
        bytes.append(le: version)
        bytes.append(le: tensorCount)
        bytes.append(le: keyCount)
    }

    /// A header with string metadata and no tensors (what a model's config looks like to a reader).
    public init(strings metadata: [(key: String, value: String)]) {
        self.init(tensorCount: 0, keyCount: UInt64(metadata.count))
        for (key, value) in metadata { keyString(key, value) }
    }

    public mutating func string(_ text: String) {
        bytes.append(le: UInt64(text.utf8.count))
        bytes += Array(text.utf8)
    }

    public mutating func keyUInt32(_ key: String, _ value: UInt32) {
        string(key)
        bytes.append(le: UInt32(4))
        bytes.append(le: value)
    }

    public mutating func keyString(_ key: String, _ value: String) {
        string(key)
        bytes.append(le: UInt32(8))
        string(value)
    }

    public mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        bytes.append(le: UInt32(dims.count))
        for dim in dims { bytes.append(le: dim) }
        bytes.append(le: type)
        bytes.append(le: offset)
    }

    /// Pads to `alignment`, then appends `data`.
    public mutating func data(_ data: [UInt8], alignment: Int = 32) {
        while bytes.count % alignment != 0 { bytes.append(0) }
        bytes += data
    }

    public func write(to url: URL) throws {
        try Data(bytes).write(to: url)
    }
}

/// Little-endian encodings for building files by hand.
extension Array where Element == UInt8 {
    public mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
