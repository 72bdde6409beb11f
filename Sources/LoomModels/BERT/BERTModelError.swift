import Foundation
import LoomCheck

/// Why a BERT model or sentence-embedding folder could not be loaded or run. Every case names the
/// file (or folder) and says what to do.
public typealias BERTModelError = FileError<BERTModelProblem>

/// What can be wrong with a BERT model or sentence-embedding folder.
public enum BERTModelProblem: FileProblem {
    case cannotRead(reason: String)
    /// The file is not JSON, or a field is missing or has the wrong type.
    case malformed(String)
    /// A configuration Loom does not implement (another model type, activation, pooling, module).
    case unsupported(String)
    /// Input the model cannot take: a token id outside the vocabulary, a sequence too long.
    case badInput(String)

    public var message: String {
        switch self {
        case .cannotRead(let reason):
            return "cannot read: \(reason). Check that the model folder is complete (loom models pull)."
        case .malformed(let what):
            return "malformed: \(what). Download or export the model again."
        case .unsupported(let what):
            return "unsupported: \(what). Loom runs BERT encoders (model_type bert) with sentence-transformers pooling."
        case .badInput(let what):
            return "bad input: \(what)."
        }
    }
}

extension FileError where Kind == BERTModelProblem {
    /// The JSON object in `url`, or a `.cannotRead` / `.malformed` error naming it.
    static func jsonObject(_ url: URL) throws -> [String: Any] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw BERTModelError(file: url.path, .cannotRead(reason: error.localizedDescription))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw BERTModelError(file: url.path, .malformed("not a JSON object"))
        }
        return object
    }

    /// A whole JSON number, not a Bool.
    static func int(_ value: Any?) -> Int? {
        // Foundation bridges 0 and 1 to Bool under `is Bool`; a JSON true/false has its own class.
        guard let number = value as? NSNumber, type(of: number) != type(of: NSNumber(value: true)) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 1e15 else { return nil }
        return number.intValue
    }
}
