import AsyncHTTPClient
import Foundation
import LoomModelStore
import NIOCore
import NIOHTTP1

/// The Hub's HTTP protocol as huggingface_hub speaks it (file_download.py, _snapshot_download.py):
/// the revision API for the commit and file list, HEAD `resolve/COMMIT/FILE` for a file's ETag, size
/// and download location, and GET with `Range` to fetch or resume it. Redirects are followed by hand:
/// within the endpoint's host always (renamed repos), to another host (the LFS storage) only when
/// fetching, and then without the token.
public final class HubClient: Sendable {
    public let environment: HubEnvironment
    private let http: HTTPClient
    /// An API call or a HEAD must answer within this; a download must not stall for longer.
    static let answerTimeout: TimeAmount = .seconds(10)

    public init(environment: HubEnvironment) {
        self.environment = environment
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(8), read: Self.answerTimeout),
            decompression: .disabled)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        // A refused connection is an answer ("nothing there"): say so now instead of retrying until the
        // connect timeout. Downloads cut mid-file are retried by HubDownloader, resuming.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// One file of a revision, from the revision API.
    public struct RepoFile: Sendable, Equatable {
        public let path: String
        public let size: Int?
        /// The sha256 of an LFS file's contents (its blob's name in the cache).
        public let lfsSHA256: String?
    }

    public struct Revision: Sendable, Equatable {
        public let commit: String
        public let files: [RepoFile]
    }

    /// `GET /api/models/ORG/NAME/revision/REV?blobs=true`: the commit sha and every file with its size.
    public func revision(_ repo: HubRepo) async throws -> Revision {
        let url = "\(environment.endpoint)/api/models/\(repo.id)/revision/\(Self.escape(repo.revision, keepSlash: false))?blobs=true"
        let response = try await send("GET", url, repo: repo, file: nil, followAbsolute: true, deadline: .now() + Self.answerTimeout)
        let body = try await response.body.collect(upTo: 64 << 20)
        struct Info: Decodable {
            struct Sibling: Decodable {
                struct LFS: Decodable { let sha256: String?; let size: Int? }
                let rfilename: String
                let size: Int?
                let lfs: LFS?
            }
            let sha: String?
            let siblings: [Sibling]?
        }
        guard let info = try? JSONDecoder().decode(Info.self, from: Data(body.readableBytesView)), let sha = info.sha, HubRepo.isCommit(sha) else {
            throw HubError.badResponse(url: url, detail: "the answer is not a Hub revision (no commit sha); check HF_ENDPOINT")
        }
        return Revision(commit: sha, files: (info.siblings ?? []).map {
            RepoFile(path: $0.rfilename, size: $0.lfs?.size ?? $0.size, lfsSHA256: $0.lfs?.sha256)
        })
    }

    /// What HEAD `resolve/COMMIT/PATH` says of a file.
    public struct FileMetadata: Sendable, Equatable {
        public let commit: String
        /// X-Linked-Etag (the sha256 of LFS files) or ETag, without quotes or W/.
        public let etag: String
        /// X-Linked-Size, else Content-Length of a non-redirect answer.
        public let size: Int?
        /// Where to GET the bytes: the absolute redirect's target, or the resolve URL itself.
        public let location: String
    }

    public func metadata(_ path: String, in repo: HubRepo) async throws -> FileMetadata {
        let url = resolveURL(path, in: repo)
        let response = try await send("HEAD", url, repo: repo, file: path, followAbsolute: false, deadline: .now() + Self.answerTimeout)
        let headers = response.headers
        guard let commit = headers.first(name: "X-Repo-Commit") else {
            throw HubError.badResponse(url: url, detail: "no X-Repo-Commit header: this does not look like a Hub endpoint (check HF_ENDPOINT)")
        }
        guard let rawEtag = headers.first(name: "X-Linked-Etag") ?? headers.first(name: "ETag") else {
            throw HubError.badResponse(url: url, detail: "no ETag header, so the file cannot be cached reliably")
        }
        var etag = Substring(rawEtag)
        if etag.hasPrefix("W/") { etag = etag.dropFirst(2) }
        etag = etag.drop { $0 == "\"" }
        while etag.hasSuffix("\"") { etag = etag.dropLast() }
        guard !etag.isEmpty, !etag.contains("/"), etag != ".", etag != ".." else {
            throw HubError.badResponse(url: url, detail: "unusable ETag \(rawEtag)")
        }
        let isRedirect = (300..<400).contains(Int(response.status.code))
        let size = headers.first(name: "X-Linked-Size").flatMap { Int($0) }
            ?? (isRedirect ? nil : headers.first(name: "Content-Length").flatMap { Int($0) })
        let location = isRedirect ? (headers.first(name: "Location").flatMap { Self.absolute($0, from: url) } ?? url) : url
        return FileMetadata(commit: commit, etag: String(etag), size: size, location: location)
    }

    /// Fetches `location` into `partial`, continuing after the bytes already there (`Range`); a server
    /// that ignores the range sends it all and the file starts over. `received` gets each block, and
    /// the first call with `restarted: true` when earlier bytes were thrown away.
    func download(_ location: String, to partial: URL, repo: HubRepo, file: String,
                  received: (_ block: UnsafeRawBufferPointer, _ restarted: Bool) throws -> Void) async throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: partial.path) { _ = fm.createFile(atPath: partial.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: partial)
        defer { try? handle.close() }
        let have = Int(try handle.seekToEnd())
        let response = try await send("GET", location, repo: repo, file: file, followAbsolute: true,
                                      deadline: .distantFuture, range: have > 0 ? have : nil)
        var restarted = false   // the server ignored the Range: earlier bytes are dropped
        if have > 0, response.status != .partialContent {
            try handle.truncate(atOffset: 0)
            restarted = true
        }
        let fd = handle.fileDescriptor
        do {
            try await write(response.body, to: fd, partial: partial, restarted: restarted, received: received)
        } catch {
            throw Self.networkError(error, endpoint: environment.endpoint)
        }
    }

    private func write(_ body: HTTPClientResponse.Body, to fd: Int32, partial: URL, restarted: Bool,
                       received: (_ block: UnsafeRawBufferPointer, _ restarted: Bool) throws -> Void) async throws {
        var restarted = restarted
        for try await buffer in body {
            try buffer.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw HubError.badResponse(url: partial.path, detail: "cannot write: \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
                try received(bytes, restarted)
                restarted = false
            }
        }
    }

    func resolveURL(_ path: String, in repo: HubRepo) -> String {
        "\(environment.endpoint)/\(repo.id)/resolve/\(Self.escape(repo.revision, keepSlash: false))/\(Self.escape(path, keepSlash: true))"
    }

    /// Sends a request, following redirects as described above, and turns failures into `HubError`s.
    private func send(_ method: String, _ start: String, repo: HubRepo, file: String?, followAbsolute: Bool,
                      deadline: NIODeadline, range: Int? = nil) async throws -> HTTPClientResponse {
        var url = start
        let hub = Self.hostAndPort(environment.endpoint)
        for _ in 0..<10 {
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            request.headers.add(name: "User-Agent", value: "loom; huggingface_hub-compatible")
            request.headers.add(name: "Accept-Encoding", value: "identity")
            // The token goes to the endpoint's host only, never to the storage a file redirects to.
            if let token = environment.token, Self.hostAndPort(url) == hub {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            if let range { request.headers.add(name: "Range", value: "bytes=\(range)-") }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, deadline: deadline)
            } catch {
                throw Self.networkError(error, endpoint: environment.endpoint)
            }
            let status = Int(response.status.code)
            if (300..<400).contains(status), let location = response.headers.first(name: "Location") {
                guard let next = Self.absolute(location, from: url) else {
                    throw HubError.badResponse(url: url, detail: "redirect to an unusable location \(location)")
                }
                let sameHost = Self.hostAndPort(next) == Self.hostAndPort(start)
                guard sameHost || followAbsolute else { return response }
                url = next
                continue
            }
            switch status {
            case 200..<300: return response
            case 401, 403:
                throw HubError.unauthorized(repo: repo.id, status: status, hadToken: environment.token != nil,
                                            tokenFile: environment.tokenFile.path)
            case 404: throw HubError.notFound(repo: repo.id, revision: repo.revision, file: file)
            default:
                let body = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
                throw HubError.badResponse(url: url, detail: "the Hub answered \(status) \(body.prefix(200))")
            }
        }
        throw HubError.badResponse(url: start, detail: "more than 10 redirects")
    }

    /// A connection that could not be made or stalled is "unreachable"; anything else keeps its words.
    static func networkError(_ error: any Error, endpoint: String) -> any Error {
        if error is HubError { return error }
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return HubError.unreachable(endpoint: endpoint, detail: "no answer within \(answerTimeout.nanoseconds / 1_000_000_000) s")
            case .remoteConnectionClosed:
                return HubError.unreachable(endpoint: endpoint, detail: "the server closed the connection")
            default: break
            }
        }
        return HubError.unreachable(endpoint: endpoint, detail: "\(error)")
    }

    static func hostAndPort(_ url: String) -> String? {
        URL(string: url).map { "\($0.host ?? ""):\($0.port ?? ($0.scheme == "https" ? 443 : 80))" }
    }

    static func absolute(_ location: String, from base: String) -> String? {
        URL(string: location, relativeTo: URL(string: base))?.absoluteURL.absoluteString
    }

    /// Percent-encodes like Python's `quote` (path segments keep `/` when `keepSlash`).
    static func escape(_ text: String, keepSlash: Bool) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~")
        if keepSlash { allowed.insert("/") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
