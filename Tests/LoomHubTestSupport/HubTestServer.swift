import Foundation
import LoomModelStore
import NIOCore
import NIOHTTP1
import NIOPosix

/// A Hub-shaped HTTP server on 127.0.0.1 for tests: the revision and tree APIs, `resolve/REV/FILE`
/// (small files answered directly with a git-style ETag; LFS files, `.safetensors`/`.gguf`/`.bin`,
/// answered with a 302 to `/lfs/SHA256` on a second listener at 127.0.0.2, the "storage host", plus
/// X-Linked-Etag and X-Linked-Size), Range
/// requests, renamed repos (a relative 307), and faults a test switches on: a required token, a
/// connection dropped mid-file, corrupted bytes, an endpoint that never answers.
public final class HubTestServer: @unchecked Sendable {
    // @unchecked: the mutable state (faults, request log) is read and written only under `lock`.
    public struct Repo: Sendable {
        public let id: String
        public let commit: String
        /// Branches and tags, each naming `commit`.
        public let refs: [String]
        public let files: [String: Data]
        /// Each file's sha256, computed once (a 200 MB benchmark file is not hashed per request).
        public let sha256: [String: String]

        public init(id: String, commit: String, refs: [String] = ["main"], files: [String: Data]) {
            self.id = id
            self.commit = commit
            self.refs = refs
            self.files = files
            sha256 = files.mapValues { SHA256.hex(of: $0) }
        }

        /// A seeded model folder (e.g. Tests/Fixtures/clip/tiny-random) as a repo; the commit is
        /// derived from the contents, so it changes when they do.
        public init(id: String, folder: URL, refs: [String] = ["main"]) throws {
            var files: [String: Data] = [:]
            let fm = FileManager.default
            for case let path as String in fm.enumerator(atPath: folder.path)! {
                var isDirectory: ObjCBool = false
                let url = folder.appendingPathComponent(path)
                if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files[path] = try Data(contentsOf: url)
                }
            }
            let digest = SHA256.hex(of: Data(files.keys.sorted().flatMap { Array($0.utf8) + Array(SHA256.hex(of: files[$0]!).utf8) }))
            self.init(id: id, commit: String(digest.prefix(40)), refs: refs, files: files)
        }

        public static func isLFS(_ path: String) -> Bool {
            [".safetensors", ".gguf", ".bin", ".onnx"].contains { path.hasSuffix($0) }
        }
    }

    public struct Faults: Sendable {
        /// Requests to the API and resolve URLs need `Authorization: Bearer TOKEN`.
        public var requiredToken: String?
        /// The next GETs of these files' bytes stop after this many bytes and drop the connection.
        public var dropAfter: [String: Int] = [:]
        /// How many GETs each `dropAfter` entry cuts short.
        public var drops = 1
        /// GETs of these files' bytes send this many bytes, then nothing more, with the connection left open.
        public var stallAfter: [String: Int] = [:]
        /// These files are served with one byte changed (announced sha256 unchanged).
        public var corrupt: Set<String> = []
        /// Accept connections and never answer.
        public var silent = false
        /// The revision API answers with text that is not JSON.
        public var garbageRevision = false
        /// resolve answers lack X-Repo-Commit (not a Hub endpoint).
        public var noCommitHeader = false
        public init() {}
    }

    private let lock = NSLock()
    private var repos: [String: Repo]
    private var renamed: [String: String]
    private var faultState = Faults()
    private var log: [String] = []
    private var dropsDone: [String: Int] = [:]
    private let group: MultiThreadedEventLoopGroup
    private var channels: [any Channel] = []
    public private(set) var port = 0
    private var storagePort = 0

    public var endpoint: String { "http://127.0.0.1:\(port)" }
    /// Where LFS redirects point: another host, as the Hub's storage is, so clients must not send the token.
    var storage: String { "http://127.0.0.2:\(storagePort)" }

    /// - Parameter renamed: old repo id -> current id; requests to the old one get a relative redirect.
    public init(repos: [Repo], renamed: [String: String] = [:]) throws {
        self.repos = Dictionary(uniqueKeysWithValues: repos.map { ($0.id, $0) })
        self.renamed = renamed
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [unowned self] channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(HubRequestHandler(server: self))
                }
            }
        let hub = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        let storage = try bootstrap.bind(host: "127.0.0.2", port: 0).wait()
        channels = [hub, storage]
        port = hub.localAddress?.port ?? 0
        storagePort = storage.localAddress?.port ?? 0
    }

    public func stop() {
        for channel in channels { try? channel.close().wait() }
        try? group.syncShutdownGracefully()
    }

    public var faults: Faults {
        get { lock.withLock { faultState } }
        set { lock.withLock { faultState = newValue; dropsDone = [:] } }
    }

    /// `METHOD PATH` (and the Range header, when sent) of every request so far.
    public var requests: [String] { lock.withLock { log } }

    public func clearRequests() { lock.withLock { log = [] } }

    public func add(_ repo: Repo) { lock.withLock { repos[repo.id] = repo } }

    // MARK: - Answers

    struct Answer {
        var status: HTTPResponseStatus
        var headers: [(String, String)] = []
        var body = Data()
        /// Close the connection after this many body bytes.
        var cutAfter: Int?
        /// Leave it open instead of closing it after `cutAfter`.
        var stall = false
    }

    func answer(method: HTTPMethod, uri: String, headers: HTTPHeaders) -> Answer? {
        let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        lock.lock()
        log.append("\(method.rawValue) \(path)" + (headers.first(name: "Range").map { " \($0)" } ?? ""))
        let faults = faultState
        let repos = self.repos
        let renamed = self.renamed
        lock.unlock()
        if faults.silent { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { $0.removingPercentEncoding ?? String($0) }
        if parts.first == "lfs", parts.count == 2 {
            // Signed storage URLs must not receive the Hub token.
            if headers.contains(name: "Authorization") { return Answer(status: .badRequest, body: Data("token sent to the storage host".utf8)) }
            return lfs(sha: parts[1], method: method, headers: headers, repos: repos, faults: faults)
        }
        let isAPI = parts.first == "api"
        let body = isAPI ? Array(parts.dropFirst(2)) : parts   // api/models/ORG/NAME/... or ORG/NAME/...
        guard body.count >= 4 else { return Answer(status: .notFound) }
        let id = body[0] + "/" + body[1]
        if let current = renamed[id] {
            let location = path.replacingOccurrences(of: "/\(id)/", with: "/\(current)/")
            return Answer(status: .temporaryRedirect, headers: [("Location", location)])
        }
        if let token = faults.requiredToken, headers.first(name: "Authorization") != "Bearer \(token)" {
            return Answer(status: .unauthorized, headers: [("X-Error-Code", "GatedRepo")], body: Data("Access to this repo is restricted".utf8))
        }
        guard let repo = repos[id] else { return Answer(status: .notFound, headers: [("X-Error-Code", "RepoNotFound")]) }
        let revision = body[3]
        guard revision == repo.commit || repo.refs.contains(revision) else {
            return Answer(status: .notFound, headers: [("X-Error-Code", "RevisionNotFound")])
        }
        switch (isAPI, body[2]) {
        case (true, "revision"):
            if faults.garbageRevision { return Answer(status: .ok, body: Data("<html>captive portal</html>".utf8)) }
            return json(revisionInfo(repo))
        case (true, "tree"): return json(tree(repo))
        case (false, "resolve"):
            let file = body.dropFirst(4).joined(separator: "/")
            var answer = resolve(file, in: repo, method: method, headers: headers, faults: faults)
            if faults.noCommitHeader { answer.headers.removeAll { $0.0 == "X-Repo-Commit" } }
            return answer
        default: return Answer(status: .notFound)
        }
    }

    private func resolve(_ file: String, in repo: Repo, method: HTTPMethod, headers: HTTPHeaders, faults: Faults) -> Answer {
        guard let data = repo.files[file] else {
            return Answer(status: .notFound, headers: [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", repo.commit)])
        }
        if Repo.isLFS(file) {
            let sha = repo.sha256[file]!
            return Answer(status: .found, headers: [
                ("X-Repo-Commit", repo.commit), ("X-Linked-Etag", "\"\(sha)\""), ("X-Linked-Size", "\(data.count)"),
                ("ETag", "\"\(Self.blobID(Data("pointer \(sha)".utf8)))\""), ("Location", "\(storage)/lfs/\(sha)"),
            ])
        }
        var answer = bytes(data, key: file, method: method, headers: headers, faults: faults)
        answer.headers += [("X-Repo-Commit", repo.commit), ("ETag", "\"\(Self.blobID(file, in: repo))\"")]
        return answer
    }

    private func lfs(sha: String, method: HTTPMethod, headers: HTTPHeaders, repos: [String: Repo], faults: Faults) -> Answer {
        for repo in repos.values {
            for (path, data) in repo.files where Repo.isLFS(path) && repo.sha256[path] == sha {
                var answer = bytes(data, key: path, method: method, headers: headers, faults: faults)
                answer.headers.append(("ETag", "\"\(sha)\""))
                return answer
            }
        }
        return Answer(status: .notFound)
    }

    /// A file's bytes, honouring `Range: bytes=N-` and the drop / corrupt faults.
    private func bytes(_ data: Data, key: String, method: HTTPMethod, headers: HTTPHeaders, faults: Faults) -> Answer {
        var data = data
        if faults.corrupt.contains(key), !data.isEmpty { data[data.startIndex] ^= 0xFF }
        var answer = Answer(status: .ok)
        var start = 0
        if let range = headers.first(name: "Range"), range.hasPrefix("bytes="), range.hasSuffix("-"),
           let from = Int(range.dropFirst(6).dropLast()) {
            guard from < data.count else {
                return Answer(status: .rangeNotSatisfiable, headers: [("Content-Range", "bytes */\(data.count)")])
            }
            start = from
            answer.status = .partialContent
            answer.headers.append(("Content-Range", "bytes \(from)-\(data.count - 1)/\(data.count)"))
        }
        answer.headers.append(("Content-Length", "\(data.count - start)"))
        answer.headers.append(("Accept-Ranges", "bytes"))
        if method == .GET {
            answer.body = data.subdata(in: start..<data.count)
            if let cut = faults.dropAfter[key] {
                let done = lock.withLock { () -> Bool in
                    let count = dropsDone[key, default: 0]
                    dropsDone[key] = count + 1
                    return count >= faults.drops
                }
                if !done { answer.cutAfter = cut }
            }
            if let stall = faults.stallAfter[key] {
                answer.cutAfter = stall
                answer.stall = true
            }
        }
        return answer
    }

    private func revisionInfo(_ repo: Repo) -> Any {
        ["id": repo.id, "modelId": repo.id, "sha": repo.commit, "private": false,
         "siblings": repo.files.keys.sorted().map { path -> [String: Any] in
             let data = repo.files[path]!
             var sibling: [String: Any] = ["rfilename": path, "size": data.count, "blobId": Self.blobID(path, in: repo)]
             if Repo.isLFS(path) { sibling["lfs"] = ["sha256": repo.sha256[path]!, "size": data.count, "pointerSize": 134] }
             return sibling
         }] as [String: Any]
    }

    private func tree(_ repo: Repo) -> Any {
        repo.files.keys.sorted().map { path -> [String: Any] in
            let data = repo.files[path]!
            var entry: [String: Any] = ["type": "file", "path": path, "size": data.count, "oid": Self.blobID(path, in: repo)]
            if Repo.isLFS(path) { entry["lfs"] = ["oid": repo.sha256[path]!, "size": data.count, "pointerSize": 134] }
            return entry
        }
    }

    private func json(_ value: Any) -> Answer {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
        return Answer(status: .ok, headers: [("Content-Type", "application/json"), ("Content-Length", "\(data.count)")], body: data)
    }

    /// A stand-in for the git blob id (40 hex): stable for the same bytes, and never 64 hex, so clients
    /// treat the file as a regular (non-LFS) one.
    static func blobID(_ data: Data) -> String { String(SHA256.hex(of: data).prefix(40)) }

    /// The blob id of a served file, from its precomputed sha256.
    static func blobID(_ path: String, in repo: Repo) -> String { String(repo.sha256[path]!.prefix(40)) }
}

/// One connection: collects a request, writes the server's answer (or nothing, for `silent`).
private final class HubRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: HubTestServer
    private var head: HTTPRequestHead?

    init(server: HubTestServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head, let answer = server.answer(method: head.method, uri: head.uri, headers: head.headers) else { return }
            var headers = HTTPHeaders(answer.headers)
            if !headers.contains(name: "Content-Length") { headers.add(name: "Content-Length", value: "\(answer.body.count)") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
            var body = answer.body
            if let cut = answer.cutAfter { body = body.prefix(cut) }
            // Large bodies go out in 1 MiB pieces, so a cut connection has really sent bytes first.
            var offset = 0
            while offset < body.count {
                let end = min(offset + (1 << 20), body.count)
                var buffer = context.channel.allocator.buffer(capacity: end - offset)
                buffer.writeBytes(body[body.startIndex + offset..<body.startIndex + end])
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                offset = end
            }
            if answer.cutAfter != nil {
                context.flush()
                if !answer.stall { context.close(promise: nil) }
                return
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
