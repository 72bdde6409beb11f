import Foundation
import LoomTensor

/// Prefixed access to a `WeightSource` with shape checks and a record of which tensors were read,
/// so a model loader can say exactly which tensors are missing, misshapen or left over.
///
///     let layer = WeightScope(source).scope("encoder.layers.3")
///     let q = try layer.tensor("attn.q_proj.weight", shape: [384, 384])
///     try root.verifyAllUsed()
///
/// Scopes made from one another share the record of used tensors.
public struct WeightScope: Sendable {
    public let source: any WeightSource
    /// Prefix without a trailing separator ("" at the root).
    public let prefix: String
    /// "." for Hugging Face names, "/" for CTranslate2 names.
    public let separator: String
    private let usage: UsageRecord

    public init(_ source: any WeightSource, prefix: String = "", separator: String = ".") {
        self.init(source: source, prefix: prefix, separator: separator, usage: UsageRecord())
    }

    private init(source: any WeightSource, prefix: String, separator: String, usage: UsageRecord) {
        self.source = source
        self.prefix = prefix
        self.separator = separator
        self.usage = usage
    }

    /// A scope one level down: `scope("layers").scope("3")` or `scope("layers.3")`.
    public func scope(_ child: String) -> WeightScope {
        WeightScope(source: source, prefix: fullName(child), separator: separator, usage: usage)
    }

    public func scope(_ child: String, _ index: Int) -> WeightScope {
        scope(child + separator + String(index))
    }

    /// The name of `name` in the file, with this scope's prefix.
    public func fullName(_ name: String) -> String {
        prefix.isEmpty ? name : prefix + separator + name
    }

    public func contains(_ name: String) -> Bool { source.contains(fullName(name)) }

    public func info(_ name: String) throws -> TensorInfo {
        try source.requireInfo(fullName(name))
    }

    /// The tensor as float32, recorded as used.
    public func tensor(_ name: String) throws -> Tensor {
        let full = fullName(name)
        let result = try source.tensor(full)
        usage.mark(source.storedTensors(readBy: full))
        return result
    }

    /// The tensor as float32 after checking its shape, before reading any data.
    public func tensor(_ name: String, shape expected: [Int]) throws -> Tensor {
        try checkShape(name, expected)
        return try tensor(name)
    }

    /// The stored bytes (e.g. quantized blocks) after checking the shape, recorded as used.
    public func rawBytes(_ name: String, shape expected: [Int]? = nil) throws -> RawTensorBytes {
        if let expected { try checkShape(name, expected) }
        let full = fullName(name)
        let raw = try source.rawBytes(full)
        usage.mark([source.resolvedName(full)])
        return raw
    }

    /// Throws one `.missingTensors` error listing every name (relative to this scope) that is absent.
    public func requireAll(_ names: [String]) throws {
        let missing = names.map(fullName).filter { !source.contains($0) }
        if !missing.isEmpty { throw WeightFileError(file: source.path, .missingTensors(missing)) }
    }

    /// Names in the source (under this scope's prefix) that no scope sharing this record has read.
    public var unusedTensorNames: [String] {
        let used = usage.snapshot()
        let start = prefix.isEmpty ? "" : prefix + separator
        return source.tensorNames.filter { $0.hasPrefix(start) && !used.contains($0) }
    }

    /// Throws `.unusedTensors` when tensors of the file were never read, except those `ignoring` accepts
    /// (e.g. rotary caches or buffers a model recomputes).
    public func verifyAllUsed(ignoring: (String) -> Bool = { _ in false }) throws {
        let unused = unusedTensorNames.filter { !ignoring($0) }
        if !unused.isEmpty { throw WeightFileError(file: source.path, .unusedTensors(unused)) }
    }

    private func checkShape(_ name: String, _ expected: [Int]) throws {
        let info = try self.info(name)
        guard info.shape == expected else {
            throw WeightFileError(file: source.path, .shapeMismatch(tensor: fullName(name), expected: expected, actual: info.shape))
        }
    }
}

/// The set of tensor names read through a family of scopes.
final class UsageRecord: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var used: Set<String> = []

    func mark(_ names: [String]) {
        lock.lock()
        used.formUnion(names)
        lock.unlock()
    }

    func snapshot() -> Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return used
    }
}

extension WeightScope {
    /// `(0..<count).map(read)` without reserving `count` slots first, for a model's numbered layers:
    /// a layer count from a damaged file (a GGUF `block_count` of four billion, found by fuzz-gguf)
    /// then fails at its first missing layer instead of in an allocation of hundreds of gigabytes.
    public static func layers<Layer>(_ count: Int, _ read: (Int) throws -> Layer) throws -> [Layer] {
        var layers: [Layer] = []
        for index in 0..<max(count, 0) { layers.append(try read(index)) }
        return layers
    }
}
