import Foundation

/// Why a path is not a model Loom can load. Every case names the file or folder and says what to give.
public enum ModelRegistryError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// Nothing at the path.
    case notFound(path: String)
    /// A file or folder in none of the layouts Loom reads; `wanted` says which ones would do.
    case notAModel(path: String, wanted: String)
    /// A file the layout needs is absent.
    case missingFile(path: String, what: String)
    /// config.json (or a GGUF header) cannot be read or is not a JSON object.
    case unreadableConfig(file: String, reason: String)
    /// The config lacks the key that names the architecture.
    case missingKey(file: String, key: String, known: [String])
    /// The config names an architecture Loom has no factory for.
    case unknownKey(file: String, key: FamilyKey, known: [String])
    /// A model of another family than the command takes.
    case wrongFamily(path: String, found: ModelFamily, key: FamilyKey, wanted: [ModelFamily])
    /// Recognised, but Loom cannot load it yet.
    case notSupportedYet(file: String, family: ModelFamily, key: FamilyKey)

    public var description: String {
        switch self {
        case let .notFound(path):
            return "\(path): no such file or folder; pass a model folder, a .gguf file or a name from `loom models list`"
        case let .notAModel(path, wanted):
            return "\(path): not a model Loom reads; expected \(wanted)"
        case let .missingFile(path, what):
            return "\(path): not found; the model needs \(what)"
        case let .unreadableConfig(file, reason):
            return "\(file): \(reason); download or export the model again"
        case let .missingKey(file, key, known):
            return "\(file): has no \(key), so Loom cannot tell which model it holds (it knows \(known.joined(separator: ", ")))"
        case let .unknownKey(file, key, known):
            return "\(file): \(key) is not a model Loom runs; it knows \(known.joined(separator: ", "))"
        case let .wrongFamily(path, found, key, wanted):
            return "\(path): holds \(found.aModel) (\(key)), not " + wanted.map(\.aModel).joined(separator: " or ")
                + "; pass " + ModelRegistry.layouts(of: wanted)
        case let .notSupportedYet(file, family, key):
            return "\(file): \(family.aModel) (\(key)); Loom recognises it but cannot run it yet"
        }
    }

    public var errorDescription: String? { description }
}
