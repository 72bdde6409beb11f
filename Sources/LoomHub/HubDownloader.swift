import Foundation
import LoomModelStore

/// Pulls a revision of a Hub repo into the huggingface_hub cache as `snapshot_download` does: the
/// revision API gives the commit and files, each wanted file is fetched (a few at once) into
/// `blobs/ETAG.incomplete`, resumed after a dropped connection or a killed process, checked against
/// its announced size and (LFS files) sha256, renamed to `blobs/ETAG`, then linked into the snapshot.
/// Files already in the snapshot are not fetched again.
public struct HubDownloader: HubFetching {
    public let environment: HubEnvironment
    /// Files fetched at the same time (huggingface_hub uses 8 threads; 4 keeps a 2-core machine responsive).
    public var parallelFiles = 4
    /// Tries per file after the connection drops mid-file; each resumes where the last one stopped.
    public var attemptsPerFile = 5

    public init(environment: HubEnvironment = .current) { self.environment = environment }

    public var cache: HubCache { environment.cache }

    /// Fetches the files of `repo` matching `include` (globs as huggingface_hub's allow_patterns; empty
    /// means all) and returns the snapshot folder.
    public func pull(_ repo: HubRepo, include: [String] = [], progress: @escaping @Sendable (PullEvent) -> Void = { _ in })
        async throws -> HubPullOutcome {
        if environment.offline {
            guard let commit = cache.commit(for: repo), let folder = cache.snapshotFolder(repo) else {
                throw HubError.offlineNotCached(repo: repo.id, revision: repo.revision, cache: cache.root.path)
            }
            return HubPullOutcome(snapshot: folder, commit: commit, fetched: [], alreadyThere: [])
        }
        let client = HubClient(environment: environment)
        do {
            let outcome = try await pull(repo, include: include, client: client, progress: progress)
            try await client.shutdown()
            return outcome
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func pull(_ repo: HubRepo, include: [String], client: HubClient,
                      progress: @escaping @Sendable (PullEvent) -> Void) async throws -> HubPullOutcome {
        let revision = try await client.revision(repo)
        let commit = revision.commit
        // A file name is a path inside the snapshot; one that climbs out of it (or is absolute) is refused.
        if let bad = revision.files.first(where: { !Self.isSafe($0.path) }) {
            throw HubError.badResponse(url: "\(environment.endpoint)/api/models/\(repo.id)",
                                       detail: "the file list names \"\(bad.path)\", which is not a path inside the repository; nothing was fetched")
        }
        let wanted = revision.files.filter { file in include.isEmpty || include.contains { Self.matches($0, file.path) } }
        guard !wanted.isEmpty else {
            throw HubError.nothingMatched(repo: repo.id, patterns: include, files: revision.files.map(\.path))
        }
        let pinned = HubRepo(id: repo.id, revision: commit)
        let alreadyThere = wanted.filter { cache.file($0.path, in: pinned, commit: commit) != nil }.map(\.path)
        let toFetch = wanted.filter { !alreadyThere.contains($0.path) }
        progress(.plan(repo: repo.id, commit: commit, files: toFetch.count,
                       bytes: toFetch.compactMap(\.size).reduce(0, +), alreadyThere: alreadyThere.count))
        try FileManager.default.createDirectory(at: cache.snapshot(pinned, commit: commit), withIntermediateDirectories: true)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = toFetch.makeIterator()
            func startNext() {
                guard let file = next.next() else { return }
                group.addTask { try await fetch(file, of: pinned, client: client, progress: progress) }
            }
            for _ in 0..<parallelFiles { startNext() }
            while try await group.next() != nil { startNext() }
        }
        try cache.writeRef(repo, commit: commit)
        return HubPullOutcome(snapshot: cache.snapshot(pinned, commit: commit), commit: commit,
                       fetched: toFetch.map(\.path), alreadyThere: alreadyThere)
    }

    /// One file: HEAD for its ETag and location, then the blob (unless another pull already made it).
    private func fetch(_ file: HubClient.RepoFile, of repo: HubRepo, client: HubClient,
                       progress: @escaping @Sendable (PullEvent) -> Void) async throws {
        let metadata = try await client.metadata(file.path, in: repo)
        let blob = cache.blob(repo, etag: metadata.etag)
        let size = metadata.size ?? file.size
        progress(.fileStarted(path: file.path, size: size))
        try FileManager.default.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lock = try await BlobLock.acquire(cache.lockFile(repo, etag: metadata.etag))
        defer { lock.release() }
        if !Self.isComplete(blob, size: size) {
            try await download(file.path, metadata: metadata, size: size, expectedSHA: Self.expectedSHA(metadata.etag, file),
                               into: blob, repo: repo, client: client, progress: progress)
        }
        try cache.link(file.path, in: repo, commit: repo.revision, etag: metadata.etag)
        progress(.fileDone(path: file.path))
    }

    private func download(_ path: String, metadata: HubClient.FileMetadata, size: Int?, expectedSHA: String?,
                          into blob: URL, repo: HubRepo, client: HubClient,
                          progress: @escaping @Sendable (PullEvent) -> Void) async throws {
        let partial = cache.incompleteBlob(repo, etag: metadata.etag)
        var hasher = SHA256()
        var have = 0
        if let handle = try? FileHandle(forReadingFrom: partial) {
            // Resuming: the bytes already there count toward the size and the sha256.
            while let block = try handle.read(upToCount: 4 << 20), !block.isEmpty {
                if expectedSHA != nil { hasher.update(block) }
                have += block.count
            }
            try? handle.close()
            if let size, have > size { try FileManager.default.removeItem(at: partial); hasher = SHA256(); have = 0 }
            if have > 0 { progress(.bytes(path: path, count: have, resumed: true)) }
        }
        var attempt = 0
        while size == nil || have < size! {
            attempt += 1
            do {
                try await client.download(metadata.location, to: partial, repo: repo, file: path) { block, restarted in
                    if restarted {
                        progress(.bytes(path: path, count: -have, resumed: false))
                        hasher = SHA256()
                        have = 0
                    }
                    if expectedSHA != nil { hasher.update(block) }   // block: UnsafeRawBufferPointer, not copied
                    have += block.count
                    progress(.bytes(path: path, count: block.count, resumed: false))
                }
                if size == nil { break }
                if have < size! { throw HubError.unreachable(endpoint: environment.endpoint, detail: "the server closed the connection") }
            } catch let error as HubError {
                guard case .unreachable = error, attempt < attemptsPerFile else { throw error }
                progress(.retrying(path: path, attempt: attempt + 1, detail: error.description))
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
        if let size, have != size {
            throw HubError.sizeMismatch(repo: repo.id, file: path, expected: size, actual: have)
        }
        if let expectedSHA {
            let actual = hasher.finalize().hexString
            guard actual == expectedSHA else {
                try? FileManager.default.removeItem(at: partial)
                throw HubError.checksumMismatch(repo: repo.id, file: path, expected: expectedSHA, actual: actual)
            }
        }
        try? FileManager.default.removeItem(at: blob)
        try FileManager.default.moveItem(at: partial, to: blob)
    }

    /// LFS files are named by their sha256 (X-Linked-Etag); the revision API's lfs.sha256 says the same.
    static func expectedSHA(_ etag: String, _ file: HubClient.RepoFile) -> String? {
        let isSHA256 = etag.count == 64 && etag.allSatisfy { $0.isHexDigit }
        return isSHA256 ? etag.lowercased() : file.lfsSHA256
    }

    static func isSafe(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.hasPrefix("/") && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }
            && !path.contains("\0") && !path.contains("\\")
    }

    static func isComplete(_ blob: URL, size: Int?) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: blob.path) else { return false }
        return size == nil || (attributes[.size] as? Int) == size
    }

    /// huggingface_hub's allow_patterns: fnmatch, where `*` also crosses `/`; a pattern naming a folder
    /// (`onnx/`) takes everything under it.
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        let pattern = pattern.hasSuffix("/") ? pattern + "*" : pattern
        return fnmatch(pattern, path, 0) == 0
    }
}

/// huggingface_hub's per-blob lock (`.locks/.../ETAG.lock`, flock), so Loom and Python never write one
/// blob at once.
struct BlobLock: Sendable {
    let descriptor: Int32

    static func acquire(_ file: URL) async throws -> BlobLock {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(file.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else {
            throw HubError.badResponse(url: file.path, detail: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        return BlobLock(descriptor: fd)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
