import Foundation

/// Where a run's files go: sidecars next to inputs, or the inputs' tree mirrored under an output
/// folder (below the deepest folder all inputs share, as `loom transcribe --output-dir` does).
/// The cache and the manifest live in the output folder, or in that shared input folder.
public struct OutputLayout: Sendable {
    public let folder: URL?
    /// The deepest folder holding every input.
    public let base: URL
    public let naming: OutputSpec.Naming
    public let manifestName: String?

    public init(folder: URL?, inputRoots: [URL], naming: OutputSpec.Naming, manifestName: String?) {
        self.folder = folder?.standardizedFileURL
        self.base = Self.commonFolder(of: inputRoots)
        self.naming = naming
        self.manifestName = manifestName
    }

    /// The folder for the cache and the manifest.
    public var stateFolder: URL { folder ?? base }
    public var cacheFolder: URL { stateFolder.appendingPathComponent(".loom-cache", isDirectory: true) }
    public var manifest: URL? { manifestName.map { stateFolder.appendingPathComponent($0) } }

    /// `NAME[suffix].ext` for `input`, next to it or mirrored under `folder`.
    public func output(for input: URL, suffix: String, extension ext: String) -> URL {
        let name = naming == .stem ? input.deletingPathExtension().lastPathComponent : input.lastPathComponent
        var directory = input.deletingLastPathComponent().standardizedFileURL
        if let folder {
            // An input outside the shared folder (none of the run's inputs) goes to the top of the
            // output folder rather than to a path cut from the wrong prefix.
            let inside = directory.path == base.path || directory.path.hasPrefix(base.path.hasSuffix("/") ? base.path : base.path + "/")
            let relative = inside ? directory.path.dropFirst(base.path.count).trimmingCharacters(in: CharacterSet(charactersIn: "/")) : ""
            directory = relative.isEmpty ? folder : folder.appendingPathComponent(relative, isDirectory: true)
        }
        return directory.appendingPathComponent("\(name)\(suffix).\(ext)")
    }

    /// The deepest folder containing every root (a file's root is its folder).
    static func commonFolder(of roots: [URL]) -> URL {
        let folders = roots.map { root -> [String] in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory)
            return (exists && !isDirectory.boolValue ? root.deletingLastPathComponent() : root).standardizedFileURL.pathComponents
        }
        guard var common = folders.first else { return URL(fileURLWithPath: FileManager.default.currentDirectoryPath) }
        for components in folders.dropFirst() {
            common = Array(zip(common, components).prefix { $0 == $1 }.map(\.0))
        }
        return URL(fileURLWithPath: NSString.path(withComponents: common.isEmpty ? ["/"] : common), isDirectory: true)
    }
}
