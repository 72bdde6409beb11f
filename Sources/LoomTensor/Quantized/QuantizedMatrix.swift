import LoomCheck
/// A weight matrix (rows, cols) kept in its stored form: float32, f16, bf16, or one of ggml's
/// 32-element block quantizations. Row r occupies `rowBytes` bytes at `base + r * rowBytes`.
///
/// The bytes usually live in a memory-mapped weight file (zero copy); `owner` keeps that mapping
/// alive. Products read the blocks directly (see `QuantizedMatrix+Multiply.swift`), so a 4-bit model
/// stays 4-bit in memory.
public struct QuantizedMatrix: @unchecked Sendable {  // read-only bytes, kept alive by `owner`
    public let format: QuantizedFormat
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    public let base: UnsafeRawPointer
    private let owner: AnyObject?

    /// A matrix over `byteCount` bytes at `bytes`. Stops the program when `cols` is not a multiple
    /// of the block size or `byteCount` differs from `rows * rowBytes` (a loader checks first).
    public init(format: QuantizedFormat, rows: Int, cols: Int, bytes: UnsafeRawPointer, byteCount: Int, owner: AnyObject?) {
        require(rows >= 0 && cols >= 0 && cols % format.blockElements == 0,
                     "\(format) matrix needs columns in whole blocks of \(format.blockElements), got (\(rows), \(cols))")
        let rowBytes = cols / format.blockElements * format.blockBytes
        require(byteCount == rows * rowBytes, "\(format) matrix (\(rows), \(cols)) needs \(rows * rowBytes) bytes, got \(byteCount)")
        if format == .f32 && Int(bitPattern: bytes) % MemoryLayout<Float>.alignment != 0 {
            // Vector loads of floats want 4-byte alignment; copy the rare misaligned tensor.
            var values = [Float](repeating: 0, count: rows * cols)
            for i in values.indices {
                values[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            self.init(float32: FloatStorage(values), rows: rows, cols: cols)
        } else {
            self.init(checked: format, rows: rows, cols: cols, rowBytes: rowBytes, base: bytes, owner: owner)
        }
    }

    /// A float32 matrix owning a copy of `tensor` (rows, cols): for weights that arrive as floats
    /// (e.g. dequantized from a type without a direct kernel).
    public init(_ tensor: Tensor) {
        require(tensor.rank == 2, "QuantizedMatrix needs a (rows, cols) tensor, got \(tensor.shape)")
        self.init(float32: FloatStorage(tensor.data), rows: tensor.shape[0], cols: tensor.shape[1])
    }

    private init(float32 storage: FloatStorage, rows: Int, cols: Int) {
        self.init(checked: .f32, rows: rows, cols: cols, rowBytes: cols * 4, base: UnsafeRawPointer(storage.pointer), owner: storage)
    }

    private init(checked format: QuantizedFormat, rows: Int, cols: Int, rowBytes: Int, base: UnsafeRawPointer, owner: AnyObject?) {
        self.format = format
        self.rows = rows
        self.cols = cols
        self.rowBytes = rowBytes
        self.base = base
        self.owner = owner
    }

    /// The start of row `r`'s bytes.
    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { base + r * rowBytes }

    /// Row `r` as float32 into `out` (cols floats), exactly as ggml's `dequantize_row_*` computes it
    /// (d * q for Q8_0, d * (q - 8) for Q4_0, d * q + m for Q4_1).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        QuantizedBlocks.dequantizeRow(format, row(r), cols: cols, into: out)
    }

    /// The whole matrix as a float32 tensor (tests, small matrices).
    public func dequantized() -> Tensor {
        var data = [Float](repeating: 0, count: rows * cols)
        data.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows { dequantizeRow(r, into: out.baseAddress! + r * cols) }
        }
        return Tensor(shape: [rows, cols], data: data)
    }
}

/// Storage formats with a direct kernel. Block layouts follow ggml's `block_q8_0`, `block_q4_0` and
/// `block_q4_1` (ggml/src/ggml-common.h): an f16 scale (and an f16 min for Q4_1) before the values.
public enum QuantizedFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", q8_0 = "Q8_0", q4_0 = "Q4_0", q4_1 = "Q4_1"

    public var blockElements: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q8_0, .q4_0, .q4_1: 32
        }
    }

    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q8_0: 34
        case .q4_0: 18
        case .q4_1: 20
        }
    }

    public var description: String { rawValue }
}

/// An owned, never-resized float buffer that `QuantizedMatrix` can point into.
final class FloatStorage: @unchecked Sendable {  // immutable after init
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        pointer = .allocate(capacity: max(1, count))
        if count > 0 { values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: count) } }
    }

    deinit { pointer.deallocate() }
}
