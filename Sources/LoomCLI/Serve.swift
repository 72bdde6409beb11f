import ArgumentParser
import Foundation
import LoomIndex
import LoomServer

/// `loom serve`: the models over HTTP, OpenAI's routes and the index's search.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve models over HTTP: OpenAI-compatible routes (/v1) and index search (/api).",
        discussion: """
            Roles: chat (a Llama-family model), vision (SmolVLM), embeddings (MiniLM), clip (CLIP or \
            SigLIP), asr (Whisper). A role without --model serves its default when installed (chat \
            smollm2-135m-instruct, embeddings minilm-l6-v2, asr whisper-base). Listens on 127.0.0.1 \
            unless --host says otherwise; prints "listening on http://HOST:PORT" once it does.
            """)

    @Option(help: "Address to listen on (0.0.0.0: every interface).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free one).")
    var port = 8080

    @Option(name: .customLong("model"), help: "ROLE=NAME|PATH, a catalog name or a model path per role (repeatable).")
    var models: [String] = []

    @Option(help: "The index file /api/search answers from, or a PostgreSQL database: postgres://USER@HOST:PORT/DATABASE.")
    var index: String?

    @Option(help: "A folder whose images requests may name as file:// URLs in image_url (default: none).")
    var mediaRoot: String?

    @Option(name: .customLong("api-key"), help: "A key clients must send (Bearer or X-Api-Key; repeatable).")
    var apiKeys: [String] = []

    @Option(help: "A file with one API key per line.")
    var apiKeyFile: String?

    @Option(parsing: .upToNextOption, help: "Origins browsers may call from (CORS is off without them; * allows any).")
    var corsOrigins: [String] = []

    @Option(help: "Requests that may wait per model; more get 503 with Retry-After.")
    var maxQueue = 8

    @Option(help: "Largest request body in MB; larger ones get 413.")
    var maxUploadMb = 25

    @Option(help: "Unload a model after this many seconds without requests (0: never).")
    var idleUnload = 0

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be within 0...65535") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more") }
        guard (1...4096).contains(maxUploadMb) else { throw ValidationError("--max-upload-mb must be within 1...4096") }
        guard idleUnload >= 0 else { throw ValidationError("--idle-unload must be 0 or more seconds") }
        _ = try roles()
    }

    func roles() throws -> [ModelRole: String] {
        var roles: [ModelRole: String] = [:]
        for spec in models {
            let pair = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, let role = ModelRole(rawValue: pair[0]), !pair[1].isEmpty else {
                throw ValidationError("--model takes ROLE=NAME|PATH with ROLE one of \(ModelRole.allCases.map(\.rawValue).joined(separator: ", ")), not '\(spec)'")
            }
            guard roles[role] == nil else { throw ValidationError("--model names the role \(role.rawValue) twice") }
            roles[role] = pair[1]
        }
        return roles
    }

    func keys() throws -> Set<String> {
        var keys = Set(apiKeys)
        if let apiKeyFile {
            guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                throw ValidationError("\(apiKeyFile): cannot read the API key file")
            }
            keys.formUnion(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            guard !keys.isEmpty else { throw ValidationError("\(apiKeyFile): holds no API key (one per line)") }
        }
        if keys.contains("") { throw ValidationError("an API key may not be empty") }
        return keys
    }

    func run() async throws {
        compute.apply()
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.models = try roles()
        configuration.index = try index.map { try indexURL($0) }
        configuration.mediaRoot = try mediaRoot.map { path in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--media-root \(path): no such folder")
            }
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        configuration.apiKeys = try keys()
        configuration.corsOrigins = corsOrigins
        configuration.maxQueue = maxQueue
        configuration.maxUploadBytes = maxUploadMb * 1024 * 1024
        configuration.idleUnload = idleUnload > 0 ? .seconds(idleUnload) : nil
        if let threads = compute.threads { configuration.threads = threads }

        let server = try LoomServer(configuration: configuration, shared: Loom.models) { printErr($0) }
        for (id, role) in server.servedModels { printErr("serving \(id) as \(role.rawValue)") }
        let host = self.host
        try await server.run { port in
            // Unbuffered: a script waiting for this line reads it at once.
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
    }
}
