import Foundation
import LoomCheck

/// Everything that can go wrong reading a weight file. Every error names the file, so a batch that
/// loads many models can say which one is broken and what to do about it.
public typealias WeightFileError = FileError<WeightFileProblem>

/// Everything that can go wrong reading a weight file.
public enum WeightFileProblem: FileProblem {
    /// The file could not be opened or mapped (missing, a folder, no permission).
    case cannotOpen(reason: String)
    /// A read of `count` bytes at `offset` runs past the end of a file of `fileSize` bytes.
    case truncated(offset: Int, count: Int, fileSize: Int)
    case badMagic(expected: String, found: String)
    case unsupportedVersion(found: Int, supported: String)
    /// The header is not what the format says (bad JSON, bad value type, bad string bytes).
    case malformedHeader(String)
    /// A count in the file is larger than the remaining bytes could possibly hold.
    case implausibleCount(what: String, count: UInt64, limit: Int)
    case unknownDType(String)
    /// The dtype is known, but converting it to float32 is not implemented.
    case unsupportedConversion(tensor: String, dtype: String)
    /// A tensor's bytes lie outside the data section or the file.
    case tensorOutOfBounds(tensor: String, offset: Int, count: Int, limit: Int)
    /// A tensor's byte length disagrees with its shape and dtype.
    case sizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    case tensorNotFound(String)
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
    case missingTensors([String])
    case unusedTensors([String])
    /// A graph (ONNX) uses an operator the executor does not run.
    case unsupportedOperator(String, node: String, supported: [String])
    /// A supported operator used in a way the executor does not run (an attribute value, a weight
    /// that is computed rather than stored).
    case unsupportedOperatorUse(String, node: String, what: String)

    public var message: String {
        switch self {
        case .cannotOpen(let reason):
            return "cannot open weight file: \(reason). Check that the path exists and is readable."
        case .truncated(let offset, let count, let fileSize):
            return "file is truncated: needs \(count) bytes at offset \(offset) but the file has \(fileSize) bytes. Download or convert the model again."
        case .badMagic(let expected, let found):
            return "not a \(expected) file (starts with \(found)). Check that the file is the model format you asked for."
        case .unsupportedVersion(let found, let supported):
            return "format version \(found) is not supported (supported: \(supported)). Convert the model with a current tool."
        case .malformedHeader(let what):
            return "malformed header: \(what). The file is corrupt or not a weight file."
        case .implausibleCount(let what, let count, let limit):
            return "\(what) is \(count), but the rest of the file can hold at most \(limit). The file is corrupt."
        case .unknownDType(let dtype):
            return "unknown data type \(dtype). The file is corrupt or uses a type Loom does not read."
        case .unsupportedConversion(let tensor, let dtype):
            return "tensor '\(tensor)' has data type \(dtype), which Loom cannot convert to float32 yet."
        case .tensorOutOfBounds(let tensor, let offset, let count, let limit):
            return "tensor '\(tensor)' needs bytes \(offset)..<\(offset &+ count) but the data ends at \(limit). The file is truncated or corrupt."
        case .sizeMismatch(let tensor, let shape, let dtype, let expected, let actual):
            return "tensor '\(tensor)' has shape \(shape) of \(dtype) (\(expected) bytes) but stores \(actual) bytes. The file is corrupt."
        case .tensorNotFound(let tensor):
            return "no tensor named '\(tensor)'. The weights do not belong to this model architecture or were renamed."
        case .shapeMismatch(let tensor, let expected, let actual):
            return "tensor '\(tensor)' has shape \(actual), expected \(expected). The weights do not match the model configuration."
        case .missingTensors(let names):
            return "missing \(names.count) tensor(s): \(Self.list(names)). The weights do not match the model."
        case .unsupportedOperator(let op, let node, let supported):
            return "operator \(op) (node '\(node)') is not supported; Loom runs \(supported.joined(separator: ", ")). "
                + "The model uses a graph Loom was not built for."
        case .unsupportedOperatorUse(let op, let node, let what):
            return "operator \(op) (node '\(node)') uses \(what), which Loom's graph executor does not run. "
                + "The model uses a graph Loom was not built for."
        case .unusedTensors(let names):
            return "\(names.count) tensor(s) were not used by the model: \(Self.list(names)). The weights belong to another architecture or configuration."
        }
    }

    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? shown + ", ... (\(names.count - 8) more)" : shown
    }
}
