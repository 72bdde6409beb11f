import Foundation

/// The huggingface_hub cache (`$HF_HUB_CACHE`), read and written in its own layout so that models
/// downloaded by transformers or `hf download` are used as they are, and Python finds what Loom pulls:
///
///     models--ORG--NAME/
///       blobs/ETAG               file contents, named by ETag (sha256 for LFS files, git blob sha otherwise)
///       blobs/ETAG.incomplete    a download under way or interrupted; resumed, never read as a model file
///       snapshots/COMMIT/PATH    relative symlink to ../../blobs/ETAG, made only once the blob is complete
///       refs/REVISION            the commit a branch or tag pointed to when last fetched
///
/// A file appears in a snapshot only after its blob is whole and verified, so a partial download
/// never looks complete.
public struct HubCache: Sendable, Equatable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public func repoFolder(_ repo: HubRepo) -> URL {
        root.appendingPathComponent(repo.folderName, isDirectory: true)
    }

    public func blob(_ repo: HubRepo, etag: String) -> URL {
        repoFolder(repo).appendingPathComponent("blobs/\(etag)")
    }

    public func incompleteBlob(_ repo: HubRepo, etag: String) -> URL {
        repoFolder(repo).appendingPathComponent("blobs/\(etag).incomplete")
    }

    public func snapshot(_ repo: HubRepo, commit: String) -> URL {
        repoFolder(repo).appendingPathComponent("snapshots/\(commit)", isDirectory: true)
    }

    /// huggingface_hub's lock file for one blob (`.locks/models--ORG--NAME/ETAG.lock`, taken with flock).
    package func lockFile(_ repo: HubRepo, etag: String) -> URL {
        root.appendingPathComponent(".locks/\(repo.folderName)/\(etag).lock")
    }

    /// The commit `repo.revision` stands for here: itself when it is a commit sha with a snapshot,
    /// else what `refs/REVISION` holds. Nil when the cache has never seen that revision.
    public func commit(for repo: HubRepo) -> String? {
        if repo.revisionIsCommit {
            return FileManager.default.fileExists(atPath: snapshot(repo, commit: repo.revision).path) ? repo.revision : nil
        }
        let ref = repoFolder(repo).appendingPathComponent("refs/\(repo.revision)")
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubRepo.isCommit(commit) ? commit : nil
    }

    /// The snapshot folder for `repo.revision`, if the cache has one.
    public func snapshotFolder(_ repo: HubRepo) -> URL? {
        guard let commit = commit(for: repo) else { return nil }
        let folder = snapshot(repo, commit: commit)
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) && isDirectory.boolValue ? folder : nil
    }

    /// The snapshot file for `path`, when it is there and its blob is readable (a dangling link is absent).
    public func file(_ path: String, in repo: HubRepo, commit: String) -> URL? {
        let url = snapshot(repo, commit: commit).appendingPathComponent(path)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Records that `repo.revision` is `commit` (nothing to record for a commit sha), atomically.
    public func writeRef(_ repo: HubRepo, commit: String) throws {
        guard repo.revision != commit else { return }
        let ref = repoFolder(repo).appendingPathComponent("refs/\(repo.revision)")
        try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
        if (try? String(contentsOf: ref, encoding: .utf8)) == commit { return }
        try Data(commit.utf8).write(to: ref, options: .atomic)
    }

    /// Puts `snapshots/COMMIT/PATH` in place as a relative link to the blob, as huggingface_hub does.
    public func link(_ path: String, in repo: HubRepo, commit: String, etag: String) throws {
        let fm = FileManager.default
        let destination = snapshot(repo, commit: commit).appendingPathComponent(path)
        try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        // snapshots/COMMIT/a/b.json -> ../../../blobs/ETAG: one `..` per folder below the repo folder.
        let depth = 2 + path.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth) + "blobs/\(etag)"
        try? fm.removeItem(at: destination)
        try fm.createSymbolicLink(atPath: destination.path, withDestinationPath: target)
    }

    /// A repository in the cache, for `loom models list`.
    public struct CachedRepo: Sendable, Equatable {
        public let id: String
        /// Bytes of its complete blobs.
        public let size: Int
        public let snapshots: [String]
        public let refs: [String: String]
    }

    /// Every model repository in the cache (`models--*`), by id.
    public func repos() -> [CachedRepo] {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { $0.hasPrefix("models--") }.sorted().compactMap { name in
            let parts = name.dropFirst("models--".count).components(separatedBy: "--")
            guard parts.count == 2, let repo = HubRepo(parsing: parts.joined(separator: "/")) else { return nil }
            let folder = repoFolder(repo)
            let blobs = folder.appendingPathComponent("blobs")
            let size = ((try? fm.contentsOfDirectory(atPath: blobs.path)) ?? [])
                .filter { !$0.hasSuffix(".incomplete") }
                .compactMap { try? fm.attributesOfItem(atPath: blobs.appendingPathComponent($0).path)[.size] as? Int }
                .reduce(0, +)
            let snapshots = ((try? fm.contentsOfDirectory(atPath: folder.appendingPathComponent("snapshots").path)) ?? []).sorted()
            var refs: [String: String] = [:]
            let refsFolder = folder.appendingPathComponent("refs")
            for ref in fm.enumerator(atPath: refsFolder.path)?.compactMap({ $0 as? String }) ?? [] {
                if let text = try? String(contentsOf: refsFolder.appendingPathComponent(ref), encoding: .utf8) { refs[ref] = text }
            }
            return CachedRepo(id: repo.id, size: size, snapshots: snapshots, refs: refs)
        }
    }

    /// Deletes the repository's folder (every revision) and its lock files; false when it was not there.
    @discardableResult
    public func remove(_ repo: HubRepo) throws -> Bool {
        let fm = FileManager.default
        let folder = repoFolder(repo)
        guard fm.fileExists(atPath: folder.path) else { return false }
        try fm.removeItem(at: folder)
        try? fm.removeItem(at: root.appendingPathComponent(".locks/\(repo.folderName)"))
        return true
    }
}
