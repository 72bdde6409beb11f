import Foundation

/// The settings huggingface_hub reads from the environment, read the same way so that Loom and Python
/// tools share one cache, one token and one endpoint.
public struct HubEnvironment: Sendable, Equatable {
    /// `HF_ENDPOINT`, default https://huggingface.co (no trailing slash).
    public var endpoint: String
    /// `HF_HUB_CACHE` (or the older `HUGGINGFACE_HUB_CACHE`), default `$HF_HOME/hub`.
    public var cacheFolder: URL
    /// `HF_TOKEN`, else the token file (`HF_TOKEN_PATH`, default `$HF_HOME/token`) that `hf auth login` writes.
    public var token: String?
    /// Where the token would be read from, for messages.
    public var tokenFile: URL
    /// `HF_HUB_OFFLINE=1`: nothing is fetched; models come from the cache only.
    public var offline: Bool

    public init(endpoint: String, cacheFolder: URL, token: String? = nil, tokenFile: URL, offline: Bool = false) {
        self.endpoint = endpoint
        self.cacheFolder = cacheFolder
        self.token = token
        self.tokenFile = tokenFile
        self.offline = offline
    }

    /// The process's environment.
    public static var current: HubEnvironment { HubEnvironment(reading: ProcessInfo.processInfo.environment) }

    /// `HF_HOME` defaults to `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`, as in huggingface_hub.
    public init(reading env: [String: String]) {
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        func folder(_ path: String) -> URL { URL(fileURLWithPath: (path as NSString).expandingTildeInPath, isDirectory: true) }
        let xdgCache = value("XDG_CACHE_HOME").map(folder)
            ?? URL(fileURLWithPath: NSHomeDirectory(), isDirectory: true).appendingPathComponent(".cache", isDirectory: true)
        let home = value("HF_HOME").map(folder) ?? xdgCache.appendingPathComponent("huggingface", isDirectory: true)
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        cacheFolder = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map(folder)
            ?? home.appendingPathComponent("hub", isDirectory: true)
        tokenFile = value("HF_TOKEN_PATH").map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
            ?? home.appendingPathComponent("token")
        let fileToken = (try? String(contentsOf: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        token = value("HF_TOKEN")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? fileToken.flatMap { $0.isEmpty ? nil : $0 }
        offline = ["1", "ON", "YES", "TRUE"].contains(value("HF_HUB_OFFLINE")?.uppercased() ?? "")
    }

    public var cache: HubCache { HubCache(root: cacheFolder) }
}
