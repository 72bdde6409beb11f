import Foundation

/// Fetches a revision of a Hub repo into the huggingface_hub cache. The store names only this seam:
/// `HubDownloader` (module LoomHub) implements it over HTTP, so the store and everything built on it
/// compile without a network stack (the sanitizer and fuzz builds do; see docs/ARCHITECTURE.md).
public protocol HubFetching: Sendable {
    /// Fetches the files of `repo` matching `include` (huggingface_hub's allow_patterns; empty means
    /// all) and returns the snapshot folder.
    func pull(_ repo: HubRepo, include: [String], progress: @escaping @Sendable (PullEvent) -> Void) async throws -> HubPullOutcome
}

/// A finished pull: the snapshot folder, its commit, and which files came now.
public struct HubPullOutcome: Sendable, Equatable {
    public let snapshot: URL
    public let commit: String
    /// Files fetched now, and files that were already in the snapshot.
    public let fetched: [String]
    public let alreadyThere: [String]

    public init(snapshot: URL, commit: String, fetched: [String], alreadyThere: [String]) {
        self.snapshot = snapshot
        self.commit = commit
        self.fetched = fetched
        self.alreadyThere = alreadyThere
    }
}

/// What a pull reports as it goes; `PullProgressPrinter` turns it into a bar or lines.
public enum PullEvent: Sendable, Equatable {
    case plan(repo: String, commit: String, files: Int, bytes: Int, alreadyThere: Int)
    case fileStarted(path: String, size: Int?)
    /// Bytes received (negative when a server ignored a resume and the file starts over).
    case bytes(path: String, count: Int, resumed: Bool)
    case retrying(path: String, attempt: Int, detail: String)
    case fileDone(path: String)
}
