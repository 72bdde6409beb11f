import Foundation

/// A model found on disk; what it holds is for `ModelRegistry` (LoomModels) to say.
public struct ModelLocation: Sendable, Equatable {
    public let url: URL
    /// The catalog name when it came from the store.
    public let catalogName: String?
}

/// Turns what a user passes as `--model` (a path, a catalog name, or a Hub repo `ORG/NAME[@REV]` in the
/// Hugging Face cache) into a model location. Every command resolves models here.
public struct ModelLocator: Sendable {
    public let store: ModelStore

    public init(store: ModelStore = ModelStore()) {
        self.store = store
    }

    /// Paths win over names: `--model ./whisper-base` is the local folder even if the catalog has the name.
    public func locate(_ spec: String) throws -> ModelLocation {
        let expanded = (spec as NSString).expandingTildeInPath
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            let url = URL(fileURLWithPath: expanded, isDirectory: isDirectory.boolValue).standardizedFileURL
            return ModelLocation(url: url, catalogName: nil)
        }
        if let repo = HubRepo(parsing: spec), spec.hasPrefix("hf:") || !spec.hasPrefix(".") {
            return ModelLocation(url: try hubSnapshot(repo), catalogName: nil)
        }
        guard let model = Catalog.model(named: spec) else {
            if spec.contains("/") || spec.hasSuffix(".gguf") || spec.hasSuffix(".safetensors") {
                throw ModelStoreError.notAModel(path: spec, reason: "no such file or folder")
            }
            throw ModelStoreError.unknownModel(spec, known: Catalog.models.map(\.name))
        }
        return ModelLocation(url: try store.path(of: model), catalogName: model.name)
    }

    /// The cached snapshot of `repo`; a repo of one .gguf file (and no config.json) is that file.
    private func hubSnapshot(_ repo: HubRepo) throws -> URL {
        let cache = store.hub.cache
        guard let folder = cache.snapshotFolder(repo) else {
            throw HubError.notCached(repo: repo.id, revision: repo.revision, cache: cache.root.path)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let ggufs = names.filter { $0.hasSuffix(".gguf") }
        if ggufs.count == 1, !names.contains("config.json") { return folder.appendingPathComponent(ggufs[0]) }
        return folder
    }
}
