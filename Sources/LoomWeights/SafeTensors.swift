import Foundation
import LoomTensor

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header mapping tensor names
/// to `{dtype, shape, data_offsets}` (offsets relative to the end of the header) plus an optional
/// `__metadata__` string map, then the raw data.
/// Format: https://github.com/huggingface/safetensors#format
public final class SafeTensorsFile: MappedWeightFile {
    public let file: MappedFile
    public let tensorNames: [String]
    /// The `__metadata__` entries (string to string).
    public let metadata: [String: String]
    private let entries: [String: Entry]

    struct Entry: Sendable {
        let info: TensorInfo
        let offset: Int  // absolute, in the file
    }

    public init(file: MappedFile) throws {
        self.file = file
        let headerLength = try file.load(UInt64.self, at: 0)
        guard headerLength <= UInt64(file.size - 8) else {
            throw file.error(.truncated(offset: 8, count: Int(clamping: headerLength), fileSize: file.size))
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = try file.bytes(at: 8, count: Int(headerLength))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [])
        } catch {
            throw file.error(.malformedHeader("the JSON header does not parse"))
        }
        guard let object = json as? [String: Any] else {
            throw file.error(.malformedHeader("the JSON header is not an object"))
        }
        var metadata: [String: String] = [:]
        var parsed: [(name: String, entry: Entry, begin: Int)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw file.error(.malformedHeader("__metadata__ is not an object"))
                }
                for (key, item) in map { metadata[key] = item as? String ?? "\(item)" }
                continue
            }
            let (entry, begin) = try Self.parseEntry(name: name, value: value, dataStart: dataStart, file: file)
            parsed.append((name, entry, begin))
        }
        // File order is data order; JSON objects have no order of their own.
        parsed.sort { ($0.begin, $0.name) < ($1.begin, $1.name) }
        tensorNames = parsed.map(\.name)
        entries = Dictionary(uniqueKeysWithValues: parsed.map { ($0.name, $0.entry) })
        self.metadata = metadata
    }

    public func info(_ name: String) -> TensorInfo? { entries[name]?.info }

    public func tensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        return try plainTensor(entry.info, raw: file.bytes(at: entry.offset, count: entry.info.byteCount), file: path)
    }

    public func rawBytes(_ name: String) throws -> RawTensorBytes {
        let entry = try entry(name)
        return RawTensorBytes(file: file, offset: entry.offset, count: entry.info.byteCount, dtype: entry.info.dtype)
    }

    private func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw file.error(.tensorNotFound(name)) }
        return entry
    }

    static func dtype(_ text: String) -> WeightDType? {
        switch text {
        case "F64": .float64
        case "F32": .float32
        case "F16": .float16
        case "BF16": .bfloat16
        case "I64": .int64
        case "I32": .int32
        case "I16": .int16
        case "I8": .int8
        case "U8": .uint8
        case "BOOL": .bool
        default: nil
        }
    }

    private static func parseEntry(name: String, value: Any, dataStart: Int, file: MappedFile) throws -> (Entry, Int) {
        guard let fields = value as? [String: Any] else {
            throw file.error(.malformedHeader("entry '\(name)' is not an object"))
        }
        guard let dtypeText = fields["dtype"] as? String else {
            throw file.error(.malformedHeader("entry '\(name)' has no dtype string"))
        }
        guard let dtype = dtype(dtypeText), let elementSize = dtype.elementSize else {
            throw file.error(.unknownDType("\(dtypeText) (tensor '\(name)')"))
        }
        guard let shapeItems = fields["shape"] as? [Any],
              let shape = integers(shapeItems), let count = checkedElementCount(shape) else {
            throw file.error(.malformedHeader("entry '\(name)' has no valid shape (a list of non-negative integers)"))
        }
        guard let offsetItems = fields["data_offsets"] as? [Any], offsetItems.count == 2,
              let offsets = integers(offsetItems), offsets[0] <= offsets[1] else {
            throw file.error(.malformedHeader("entry '\(name)' has no valid data_offsets [begin, end]"))
        }
        let (begin, end) = (offsets[0], offsets[1])
        let dataLength = file.size - dataStart
        guard end <= dataLength else {
            throw file.error(.tensorOutOfBounds(tensor: name, offset: dataStart + begin, count: end - begin, limit: file.size))
        }
        let (expectedBytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, expectedBytes == end - begin else {
            throw file.error(.sizeMismatch(tensor: name, shape: shape, dtype: dtypeText,
                                           expectedBytes: overflow ? Int.max : expectedBytes, actualBytes: end - begin))
        }
        let info = TensorInfo(name: name, shape: shape, dtype: dtype, byteCount: end - begin)
        return (Entry(info: info, offset: dataStart + begin), begin)
    }

    /// JSON numbers that are exact non-negative integers, or nil.
    private static func integers(_ items: [Any]) -> [Int]? {
        var result: [Int] = []
        result.reserveCapacity(min(items.count, 64))
        for item in items {
            // Bridging refuses numbers that are not exactly an Int (fractions, 2^64 and beyond).
            guard let value = item as? Int, value >= 0 else { return nil }
            result.append(value)
        }
        return result
    }
}
