import Foundation
import LoomTensor

/// A GGUF file (versions 2 and 3): magic "GGUF", version, tensor count, metadata count, metadata
/// key/values, tensor infos, then tensor data aligned to `general.alignment` (default 32).
/// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md; reader followed:
/// ggml/src/gguf.cpp and the gguf Python package's gguf/gguf_reader.py.
public final class GGUFFile: MappedWeightFile {
    public struct TensorEntry: Sendable {
        public let info: TensorInfo
        /// Dimensions as ggml stores them, innermost first (`ne[0]` is the row length).
        public let dimensions: [Int]
        public let type: GGMLType
        /// Absolute offset of the data in the file.
        public let offset: Int
    }

    public let file: MappedFile
    public let version: Int
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    public let alignment: Int
    /// Absolute offset where the tensor data section starts.
    public let dataOffset: Int
    public let tensorNames: [String]
    private let entries: [String: TensorEntry]

    public init(file: MappedFile) throws {
        self.file = file
        var cursor = ByteCursor(file)
        let magic = try cursor.bytes(4)
        guard Array(magic) == Array("GGUF".utf8) else {
            throw file.error(.badMagic(expected: "GGUF", found: Self.show(magic)))
        }
        let version = Int(try cursor.read(UInt32.self))
        guard version == 2 || version == 3 else {
            throw file.error(.unsupportedVersion(found: version, supported: "GGUF 2 and 3"))
        }
        self.version = version
        let rawTensorCount = try cursor.read(UInt64.self)
        let rawKeyCount = try cursor.read(UInt64.self)
        // Smallest metadata entry: key length (8) + value type (4) + a 1-byte value.
        let keyCount = try cursor.plausibleCount(rawKeyCount, elementBytes: 13, what: "metadata count")
        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<keyCount {
            let key = try cursor.ggufString(what: "metadata key")
            let type = try cursor.read(UInt32.self)
            let value = try cursor.ggufValue(type: type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw file.error(.malformedHeader("metadata key '\(key)' appears twice"))
            }
            keys.append(key)
        }
        metadataKeys = keys
        self.metadata = metadata
        alignment = try Self.alignment(metadata, file: file)

        // Smallest tensor info: name length (8) + dimension count (4) + type (4) + offset (8).
        let tensorCount = try cursor.plausibleCount(rawTensorCount, elementBytes: 24, what: "tensor count")
        var pending: [(name: String, dims: [Int], type: GGMLType, offset: UInt64)] = []
        pending.reserveCapacity(tensorCount)
        for _ in 0..<tensorCount {
            let name = try cursor.ggufString(what: "tensor name")
            let rank = try cursor.read(UInt32.self)
            guard rank <= 4 else {  // GGML_MAX_DIMS
                throw file.error(.malformedHeader("tensor '\(name)' has \(rank) dimensions (ggml allows at most 4)"))
            }
            var dims: [Int] = []
            for _ in 0..<rank {
                let dim = try cursor.read(UInt64.self)
                guard dim <= UInt64(Int64.max) else {
                    throw file.error(.malformedHeader("tensor '\(name)' has dimension \(dim)"))
                }
                dims.append(Int(dim))
            }
            let rawType = try cursor.read(UInt32.self)
            guard let type = GGMLType(rawValue: rawType) else {
                throw file.error(.unknownDType("ggml type \(rawType) (tensor '\(name)')"))
            }
            pending.append((name, dims, type, try cursor.read(UInt64.self)))
        }
        let (alignedStart, overflow) = cursor.offset.addingReportingOverflow((alignment - cursor.offset % alignment) % alignment)
        dataOffset = overflow ? Int.max : alignedStart

        var entries: [String: TensorEntry] = [:]
        for item in pending {
            let entry = try Self.entry(item.name, item.dims, item.type, item.offset, dataOffset: dataOffset, file: file)
            guard entries.updateValue(entry, forKey: item.name) == nil else {
                throw file.error(.malformedHeader("tensor name '\(item.name)' appears twice"))
            }
        }
        self.entries = entries
        tensorNames = pending.map(\.name)
    }

    public func info(_ name: String) -> TensorInfo? { entries[name]?.info }

    /// Everything the header says about a tensor, including its ggml type and dimensions.
    public func entry(_ name: String) throws -> TensorEntry {
        guard let entry = entries[name] else { throw file.error(.tensorNotFound(name)) }
        return entry
    }

    public func tensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        let raw = try file.bytes(at: entry.offset, count: entry.info.byteCount)
        let count = entry.info.elementCount
        var data = [Float](repeating: 0, count: count)
        var done = true
        if count > 0, let source = raw.baseAddress {
            data.withUnsafeMutableBufferPointer { out in
                done = GGMLDequantize.dequantize(entry.type, source, count: count, into: out.baseAddress!)
            }
        }
        guard done else {
            throw file.error(.unsupportedConversion(tensor: name, dtype: "\(entry.type)"))
        }
        return Tensor(shape: entry.info.shape, data: data)
    }

    public func rawBytes(_ name: String) throws -> RawTensorBytes {
        let entry = try entry(name)
        return RawTensorBytes(file: file, offset: entry.offset, count: entry.info.byteCount, dtype: entry.info.dtype)
    }

    private static func entry(_ name: String, _ dims: [Int], _ type: GGMLType, _ relativeOffset: UInt64,
                              dataOffset: Int, file: MappedFile) throws -> TensorEntry {
        let (blockElements, blockBytes) = type.blockLayout
        guard let count = checkedElementCount(dims) else {
            throw file.error(.malformedHeader("tensor '\(name)' has dimensions \(dims) whose product overflows"))
        }
        guard (dims.first ?? 1) % blockElements == 0 else {
            throw file.error(.malformedHeader("tensor '\(name)' of type \(type) has rows of \(dims.first ?? 1) elements, not a multiple of its block size \(blockElements)"))
        }
        let (bytes, overflow) = (count / blockElements).multipliedReportingOverflow(by: blockBytes)
        let limit = file.size
        guard !overflow, relativeOffset <= UInt64(Int.max - dataOffset),
              file.contains(offset: dataOffset + Int(relativeOffset), count: bytes) else {
            throw file.error(.tensorOutOfBounds(tensor: name, offset: Int(clamping: UInt64(dataOffset) &+ relativeOffset),
                                                count: overflow ? Int.max : bytes, limit: limit))
        }
        let info = TensorInfo(name: name, shape: dims.reversed(), dtype: type.weightDType, byteCount: bytes)
        return TensorEntry(info: info, dimensions: dims, type: type, offset: dataOffset + Int(relativeOffset))
    }

    /// `general.alignment`: a u32 power of two (gguf.cpp refuses anything else), 32 when absent.
    private static func alignment(_ metadata: [String: GGUFValue], file: MappedFile) throws -> Int {
        guard let value = metadata["general.alignment"] else { return 32 }
        guard case .uint32(let alignment) = value, alignment > 0, alignment & (alignment - 1) == 0 else {
            throw file.error(.malformedHeader("general.alignment is \(value), expected a power-of-two uint32"))
        }
        return Int(alignment)
    }

    /// Leading bytes for an error message: text when printable, hex otherwise.
    static func show(_ bytes: UnsafeRawBufferPointer) -> String {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return "\"" + String(decoding: bytes, as: UTF8.self) + "\"" }
        return bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
