import Foundation

/// Builds GGUF bytes field by field, so tests can write any header, including broken ones.
struct GGUFBuilder {
    var bytes: [UInt8] = []

    init(version: UInt32 = 3, tensorCount: UInt64, keyCount: UInt64, magic: String = "GGUF") {
        bytes += Array(magic.utf8)
        bytes.append(le: version)
        bytes.append(le: tensorCount)
        bytes.append(le: keyCount)
    }

    mutating func string(_ text: String) {
        bytes.append(le: UInt64(text.utf8.count))
        bytes += Array(text.utf8)
    }

    mutating func keyUInt32(_ key: String, _ value: UInt32) {
        string(key)
        bytes.append(le: UInt32(4))
        bytes.append(le: value)
    }

    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        bytes.append(le: UInt32(dims.count))
        for dim in dims { bytes.append(le: dim) }
        bytes.append(le: type)
        bytes.append(le: offset)
    }

    /// Pads to `alignment`, then appends `data`.
    mutating func data(_ data: [UInt8], alignment: Int = 32) {
        while bytes.count % alignment != 0 { bytes.append(0) }
        bytes += data
    }
}
