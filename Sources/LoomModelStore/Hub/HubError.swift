import Foundation

/// What can go wrong fetching from the Hub or finding a Hub model in the cache, each saying what to do.
public enum HubError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// 401/403: private or gated, and no token (or one without access) was sent.
    case unauthorized(repo: String, status: Int, hadToken: Bool, tokenFile: String)
    /// 404 on the revision API or a file.
    case notFound(repo: String, revision: String, file: String?)
    /// The endpoint could not be reached (no network, refused, timed out).
    case unreachable(endpoint: String, detail: String)
    /// Another status, or a response that is not the Hub's shape.
    case badResponse(url: String, detail: String)
    /// A downloaded file's sha256 is not the one the Hub announced; the partial file was removed.
    case checksumMismatch(repo: String, file: String, expected: String, actual: String)
    /// The downloaded size differs from X-Linked-Size / Content-Length.
    case sizeMismatch(repo: String, file: String, expected: Int, actual: Int)
    /// `--include` matched none of the repo's files.
    case nothingMatched(repo: String, patterns: [String], files: [String])
    /// HF_HUB_OFFLINE=1 and the cache lacks the revision.
    case offlineNotCached(repo: String, revision: String, cache: String)
    /// `--model ORG/NAME` that the cache does not hold.
    case notCached(repo: String, revision: String, cache: String)

    public var description: String {
        switch self {
        case let .unauthorized(repo, status, hadToken, tokenFile):
            let why = hadToken
                ? "the token Loom sent (HF_TOKEN or \(tokenFile)) has no access to it"
                : "no token was sent"
            return "\(repo): the Hub answered \(status): the repository is private or gated and \(why). "
                + "Accept its terms on its Hub page if it is gated, then set HF_TOKEN=hf_... (a read token from your Hub settings) "
                + "or write the token to \(tokenFile) (`hf auth login` does)."
        case let .notFound(repo, revision, file):
            if let file { return "\(repo): no file \(file) at revision \(revision) (the Hub answered 404)." }
            return "\(repo): no such repository or revision \(revision) on the Hub (404). Check the name and the revision after @."
        case let .unreachable(endpoint, detail):
            return "cannot reach the Hub at \(endpoint) (\(detail)). Check the network or HF_ENDPOINT; "
                + "models already in the Hugging Face cache work with HF_HUB_OFFLINE=1."
        case let .badResponse(url, detail):
            return "\(url): \(detail)"
        case let .checksumMismatch(repo, file, expected, actual):
            return "\(repo): \(file) downloaded with sha256 \(actual), but the Hub announced \(expected); the partial file was removed. "
                + "Run the pull again; if it repeats, the server or a proxy is altering the file."
        case let .sizeMismatch(repo, file, expected, actual):
            return "\(repo): \(file) is \(actual) bytes, the Hub announced \(expected); run the pull again to resume it."
        case let .nothingMatched(repo, patterns, files):
            return "\(repo): --include \(patterns.joined(separator: " ")) matches none of its files (\(files.prefix(12).joined(separator: ", "))\(files.count > 12 ? ", ..." : ""))."
        case let .offlineNotCached(repo, revision, cache):
            return "\(repo)@\(revision) is not in the Hugging Face cache at \(cache) and HF_HUB_OFFLINE=1 forbids fetching it. "
                + "Unset HF_HUB_OFFLINE and run `loom models pull hf:\(repo)@\(revision)`."
        case let .notCached(repo, revision, cache):
            let spec = revision == "main" ? repo : "\(repo)@\(revision)"
            return "\(spec): not a file or folder, and not in the Hugging Face cache at \(cache). "
                + "Fetch it once with `loom models pull hf:\(spec)` (or set HF_HUB_CACHE to the cache that holds it)."
        }
    }

    public var errorDescription: String? { description }
}
