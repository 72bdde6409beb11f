import Foundation
import LoomTensor

/// A file (or folder) of named tensors. Readers are immutable after opening, so one source can be
/// shared by every model instance and thread that needs it.
public protocol WeightSource: AnyObject, Sendable {
    /// The file or folder the tensors come from (for error messages).
    var path: String { get }
    /// Tensor names in file order (aliases excluded).
    var tensorNames: [String] { get }
    /// Name, row-major shape and stored dtype of a tensor (or alias), nil when absent.
    func info(_ name: String) -> TensorInfo?
    /// The tensor converted (and dequantized) to float32, in row-major order.
    func tensor(_ name: String) throws -> Tensor
    /// The stored bytes as they are in the file (e.g. GGUF quantized blocks for quantized kernels).
    func rawBytes(_ name: String) throws -> RawTensorBytes
    /// The stored tensor a name refers to: itself, or the target of an alias (CTranslate2).
    func resolvedName(_ name: String) -> String
    /// The stored tensors that `tensor(name)` reads: the resolved name, plus companions such as a
    /// CTranslate2 int8 weight's `_scale`. `WeightScope` marks them all as used.
    func storedTensors(readBy name: String) -> [String]
}

extension WeightSource {
    public func resolvedName(_ name: String) -> String { name }
    public func storedTensors(readBy name: String) -> [String] { [resolvedName(name)] }

    public func contains(_ name: String) -> Bool { info(name) != nil }

    /// `info(name)`, or a `.tensorNotFound` error naming the tensor and file.
    public func requireInfo(_ name: String) throws -> TensorInfo {
        guard let info = info(name) else { throw WeightFileError(file: path, .tensorNotFound(name)) }
        return info
    }
}

/// A weight file read in place from a memory map (safetensors, GGUF, CTranslate2 model.bin).
public protocol MappedWeightFile: WeightSource {
    var file: MappedFile { get }
    /// Parses and checks the header; tensor data is read on demand.
    init(file: MappedFile) throws
}

extension MappedWeightFile {
    public var path: String { file.path }

    public init(url: URL) throws {
        try self.init(file: MappedFile(url: url))
    }
}

/// What a reader knows about one tensor without touching its data.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    /// Row-major: the last dimension is contiguous. (GGUF stores dimensions innermost-first; the
    /// GGUF reader reverses them, as the gguf Python package does.)
    public let shape: [Int]
    public let dtype: WeightDType
    public let byteCount: Int

    public init(name: String, shape: [Int], dtype: WeightDType, byteCount: Int) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.byteCount = byteCount
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// Element types found in weight files.
public enum WeightDType: Sendable, Equatable, Hashable, CustomStringConvertible {
    case float64, float32, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool
    /// A ggml block-quantized type (GGUF).
    case quantized(GGMLType)

    /// Bytes per element for the plain types; nil for block-quantized types.
    public var elementSize: Int? {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        case .quantized: nil
        }
    }

    public var description: String {
        switch self {
        case .float64: "float64"
        case .float32: "float32"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .int64: "int64"
        case .int32: "int32"
        case .int16: "int16"
        case .int8: "int8"
        case .uint8: "uint8"
        case .bool: "bool"
        case .quantized(let type): "\(type)"
        }
    }
}

/// A tensor's bytes inside a mapped file. Holds the mapping alive while the bytes are in use.
public struct RawTensorBytes: Sendable {
    public let file: MappedFile
    public let offset: Int
    public let count: Int
    public let dtype: WeightDType

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try withExtendedLifetime(file) { try body(try file.bytes(at: offset, count: count)) }
    }
}

/// Element count of `shape`, or nil when a dimension is negative or the product overflows Int.
func checkedElementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dim in shape {
        guard dim >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        if overflow { return nil }
        count = product
    }
    return count
}

/// Converts `count` little-endian elements of a plain dtype to float32. Returns false for types
/// that need a block dequantizer instead.
func convertToFloat(_ dtype: WeightDType, _ source: UnsafeRawPointer, count: Int,
                    into out: UnsafeMutablePointer<Float>) -> Bool {
    switch dtype {
    case .float32 where UInt32(1).littleEndian == 1:
        UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: 4 * count)
    case .float32:
        for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
    case .float16:
        HalfPrecision.convertF16(source, count: count, into: out)
    case .bfloat16:
        HalfPrecision.convertBF16(source, count: count, into: out)
    case .float64:
        for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
    case .int64:
        for i in 0..<count { out[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
    case .int32:
        for i in 0..<count { out[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
    case .int16:
        for i in 0..<count { out[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
    case .int8:
        for i in 0..<count { out[i] = Float(source.load(fromByteOffset: i, as: Int8.self)) }
    case .uint8, .bool:
        for i in 0..<count { out[i] = Float(source.load(fromByteOffset: i, as: UInt8.self)) }
    case .quantized:
        return false
    }
    return true
}

/// Reads a plain-dtype tensor from `raw` into a float32 `Tensor`.
func plainTensor(_ info: TensorInfo, raw: UnsafeRawBufferPointer, file: String) throws -> Tensor {
    let count = info.elementCount
    var data = [Float](repeating: 0, count: count)
    var converted = true
    if count > 0, let base = raw.baseAddress {
        data.withUnsafeMutableBufferPointer { out in
            converted = convertToFloat(info.dtype, base, count: count, into: out.baseAddress!)
        }
    }
    guard converted else {
        throw WeightFileError(file: file, .unsupportedConversion(tensor: info.name, dtype: "\(info.dtype)"))
    }
    return Tensor(shape: info.shape, data: data)
}
