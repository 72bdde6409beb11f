import Foundation
import LoomTensor

/// A CTranslate2 `model.bin`, binary version 6, as written by `ModelSpec._serialize` in
/// ctranslate2/specs/model_spec.py (and read by src/models/model.cc):
///
///     u32 binary version, string spec name, u32 spec revision, u32 variable count,
///     per variable: string name, u8 rank, u32 dims[rank], u8 dtype id, u32 byte count, bytes;
///     u32 alias count, per alias: string alias, string target.
///
/// Strings are a u16 length that counts a trailing NUL, then the bytes and the NUL.
/// Quantized weights: an int8 (or int16) variable `X` comes with a float variable `X_scale`;
/// `tensor("X")` dequantizes as CTranslate2 does, x * (1 / scale) (per row for int8, one scale for int16).
public final class CTranslate2Model: MappedWeightFile {
    public static let supportedBinaryVersion = 6

    public let file: MappedFile
    public let binaryVersion: Int
    /// The spec name, e.g. "WhisperSpec".
    public let specName: String
    public let specRevision: Int
    public let tensorNames: [String]
    /// Alias name to the variable it stands for (e.g. decoder/projection/weight -> decoder/embeddings/weight).
    public let aliases: [String: String]
    private let entries: [String: Entry]

    struct Entry: Sendable {
        let info: TensorInfo
        let offset: Int
    }

    public init(file: MappedFile) throws {
        self.file = file
        var cursor = ByteCursor(file)
        let version = Int(try cursor.read(UInt32.self))
        guard version == Self.supportedBinaryVersion else {
            // Anything else is either another version or not a CTranslate2 file at all.
            throw file.error(.unsupportedVersion(found: version, supported: "CTranslate2 model.bin binary version 6"))
        }
        binaryVersion = version
        specName = try cursor.ct2String(what: "spec name")
        specRevision = Int(try cursor.read(UInt32.self))
        // Smallest variable: name (2-byte length + NUL) + rank + dtype + byte count.
        let count = try cursor.plausibleCount(UInt64(cursor.read(UInt32.self)), elementBytes: 9, what: "variable count")
        var names: [String] = []
        var entries: [String: Entry] = [:]
        for _ in 0..<count {
            let name = try cursor.ct2String(what: "variable name")
            let rank = Int(try cursor.read(UInt8.self))
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try cursor.read(UInt32.self))) }
            let dtypeID = try cursor.read(UInt8.self)
            guard let dtype = Self.dtype(dtypeID), let elementSize = dtype.elementSize else {
                throw file.error(.unknownDType("CTranslate2 type id \(dtypeID) (variable '\(name)')"))
            }
            let byteCount = Int(try cursor.read(UInt32.self))
            guard let elements = checkedElementCount(shape),
                  case let (expected, overflow) = elements.multipliedReportingOverflow(by: elementSize),
                  !overflow, expected == byteCount else {
                throw file.error(.sizeMismatch(tensor: name, shape: shape, dtype: "\(dtype)",
                                               expectedBytes: (checkedElementCount(shape) ?? 0) &* elementSize, actualBytes: byteCount))
            }
            guard file.contains(offset: cursor.offset, count: byteCount) else {
                throw file.error(.tensorOutOfBounds(tensor: name, offset: cursor.offset, count: byteCount, limit: file.size))
            }
            let entry = Entry(info: TensorInfo(name: name, shape: shape, dtype: dtype, byteCount: byteCount), offset: cursor.offset)
            guard entries.updateValue(entry, forKey: name) == nil else {
                throw file.error(.malformedHeader("variable '\(name)' appears twice"))
            }
            names.append(name)
            cursor.offset += byteCount
        }
        let aliasCount = try cursor.plausibleCount(UInt64(cursor.read(UInt32.self)), elementBytes: 6, what: "alias count")
        var aliases: [String: String] = [:]
        for _ in 0..<aliasCount {
            let alias = try cursor.ct2String(what: "alias name")
            let target = try cursor.ct2String(what: "alias target")
            guard entries[target] != nil else {
                throw file.error(.malformedHeader("alias '\(alias)' points to '\(target)', which is not a variable"))
            }
            aliases[alias] = target
        }
        self.aliases = aliases
        self.entries = entries
        tensorNames = names
    }

    public func resolvedName(_ name: String) -> String { aliases[name] ?? name }

    public func storedTensors(readBy name: String) -> [String] {
        let resolved = resolvedName(name)
        guard let dtype = entries[resolved]?.info.dtype, dtype == .int8 || dtype == .int16,
              entries[resolved + "_scale"] != nil else { return [resolved] }
        return [resolved, resolved + "_scale"]
    }

    public func info(_ name: String) -> TensorInfo? {
        guard let info = entries[resolvedName(name)]?.info else { return nil }
        return TensorInfo(name: name, shape: info.shape, dtype: info.dtype, byteCount: info.byteCount)
    }

    public func rawBytes(_ name: String) throws -> RawTensorBytes {
        let entry = try entry(name)
        return RawTensorBytes(file: file, offset: entry.offset, count: entry.info.byteCount, dtype: entry.info.dtype)
    }

    /// The variable as float32; int8/int16 variables with a `_scale` companion are dequantized.
    public func tensor(_ name: String) throws -> Tensor {
        let resolved = resolvedName(name)
        let entry = try entry(resolved)
        var tensor = try plainTensor(entry.info, raw: file.bytes(at: entry.offset, count: entry.info.byteCount), file: path)
        guard entry.info.dtype == .int8 || entry.info.dtype == .int16,
              let scaleEntry = entries[resolved + "_scale"] else { return tensor }
        let scale = try plainTensor(scaleEntry.info, raw: file.bytes(at: scaleEntry.offset, count: scaleEntry.info.byteCount), file: path)
        // int8: one scale per output row (the first dimension; conv weights flatten the rest), as
        // `_quantize` in model_spec.py computes it. int16: one scale for the whole tensor.
        let rows = entry.info.shape.first ?? 1
        guard scale.count == rows || scale.count == 1 else {
            throw file.error(.shapeMismatch(tensor: resolved + "_scale", expected: [rows], actual: scale.shape))
        }
        let groups = scale.count, groupSize = tensor.count / max(1, scale.count)
        tensor.data.withUnsafeMutableBufferPointer { values in
            scale.data.withUnsafeBufferPointer { scales in
                for group in 0..<groups {
                    // CTranslate2's dequantize_kernel (src/cpu/..., ops/dequantize_cpu.cc) multiplies
                    // by the reciprocal rather than dividing; doing the same keeps results identical.
                    let reciprocal = 1 / scales[group]
                    for i in group * groupSize..<(group + 1) * groupSize { values[i] *= reciprocal }
                }
            }
        }
        return tensor
    }

    private func entry(_ name: String) throws -> Entry {
        guard let entry = entries[resolvedName(name)] else { throw file.error(.tensorNotFound(name)) }
        return entry
    }

    /// Type ids in the order of the DataType enum (include/ctranslate2/types.h).
    static func dtype(_ id: UInt8) -> WeightDType? {
        switch id {
        case 0: .float32
        case 1: .int8
        case 2: .int16
        case 3: .int32
        case 4: .float16
        case 5: .bfloat16
        default: nil
        }
    }
}

extension ByteCursor {
    /// A CTranslate2 string: u16 length including a trailing NUL, the bytes, the NUL.
    mutating func ct2String(what: String) throws -> String {
        let length = Int(try read(UInt16.self))
        guard length >= 1 else {
            throw file.error(.malformedHeader("\(what) at offset \(offset - 2) has length 0 (no NUL terminator)"))
        }
        let text = try utf8String(count: length - 1, what: what)
        guard try read(UInt8.self) == 0 else {
            throw file.error(.malformedHeader("\(what) at offset \(offset - length - 2) lacks its NUL terminator"))
        }
        return text
    }
}
