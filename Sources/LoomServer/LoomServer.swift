import Foundation
import Hummingbird
import LoomTasks
import NIOCore

/// `loom serve`: the models of a `ServerConfiguration` behind OpenAI's routes (/v1), the index behind
/// Loom's search routes (/api), on Hummingbird. Requests for one model wait in its `WorkQueue`;
/// every error leaves as an `APIError`.
public final class LoomServer: Sendable {
    public let configuration: ServerConfiguration
    let models: ServedModels
    let search: SearchService?
    let metrics = ServerMetrics()
    let log: @Sendable (String) -> Void

    /// Finds every model (a name that resolves nowhere fails here, before anything listens) and opens the index.
    public init(configuration: ServerConfiguration, shared: SharedModels, log: @escaping @Sendable (String) -> Void) throws {
        self.configuration = configuration
        self.log = log
        models = try ServedModels(configuration: configuration, shared: shared)
        search = try configuration.index.map { try SearchService(indexURL: $0, shared: shared, threads: configuration.threads) }
    }

    /// Model ids by role, for the start-up line.
    public var servedModels: [(id: String, role: ModelRole)] { models.all.map { ($0.id, $0.role) } }

    /// Listens until the process is stopped (SIGINT / SIGTERM); `onListening` gets the bound port
    /// (the one asked for, or the system's choice for port 0). Models load in the background meanwhile.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "loom"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.models.preload(log: self.log) }
            if let idle = configuration.idleUnload {
                group.addTask { try await self.unloadIdle(after: idle) }
            }
            // The server ends the run (SIGINT / SIGTERM shut it down gracefully); the unloading
            // loop ends with it, and a load under way finishes first.
            try await app.runService()
            group.cancelAll()
        }
    }

    /// Drops models nobody asked for in `idle`, checking a few times per period.
    private func unloadIdle(after idle: Duration) async throws {
        while true {
            try await Task.sleep(for: max(.seconds(1), min(idle / 4, .seconds(30))))
            for key in models.shared.evictIdle(olderThan: idle) { log("unloaded \(key) (idle)") }
        }
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        // Outermost first: CORS headers go on error replies too.
        if !configuration.corsOrigins.isEmpty { router.add(middleware: CORSOriginsMiddleware(origins: configuration.corsOrigins)) }
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: CloseAfterPostMiddleware())
        router.add(middleware: ErrorMiddleware(log: log))
        router.add(middleware: UploadLimitMiddleware(limit: configuration.maxUploadBytes))
        if !configuration.apiKeys.isEmpty { router.add(middleware: APIKeyMiddleware(keys: configuration.apiKeys)) }

        router.get("/health") { _, _ in self.health() }
        router.get("/v1/health") { _, _ in self.health() }
        router.get("/v1/models") { _, _ in self.modelList() }
        router.get("/metrics") { _, _ in
            let queues = self.models.all.map(\.queue) + (self.search.map { [$0.queue] } ?? [])
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: self.metrics.scrape(queues))))
        }
        router.get("/v1/models/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let model = self.models.all.first(where: { $0.id == id }) else {
                throw APIError.notFound("the model '\(id)' is not served here (GET /v1/models lists them)")
            }
            return JSON.response(self.entry(model))
        }
        addGenerationRoutes(to: router)
        addEmbeddingRoutes(to: router)
        addAudioRoutes(to: router)
        addSearchRoutes(to: router)
        addWebPage(to: router)
        return router
    }

    /// 200 once every model has loaded (or failed to, which its requests report); 503 before.
    func health() -> Response {
        let loading = models.modelsLoading
        guard loading.isEmpty else { return APIError.unavailable("Loading model: \(loading.sorted().joined(separator: ", "))").response }
        return JSON.response(["status": "ok"])
    }

    func modelList() -> Response {
        JSON.response(["object": "list", "data": models.all.map(entry)])
    }

    func entry(_ model: ServedModel) -> [String: Any] {
        ["id": model.id, "object": "model", "created": Self.created, "owned_by": "loom", "task": model.role.rawValue,
         "architecture": ["input_modalities": model.role.inputModalities, "output_modalities": model.role.outputModalities]]
    }

    /// The server's start, the `created` of every model entry.
    static let created = Int(Date().timeIntervalSince1970)

    /// The request's body, at most `maxUploadBytes` (413 past it). The request keeps it, so
    /// `whileConnected` can still watch the connection after it.
    func readBody(_ request: inout Request) async throws -> ByteBuffer {
        try await request.collectBody(upTo: configuration.maxUploadBytes)
    }

    /// Runs a model call for a request; the call is cancelled when the client closes the connection
    /// before the answer (Hummingbird ends the inbound stream), which stops generation at the next token.
    func whileConnected<T: Sendable>(_ request: Request, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await request.body.consumeWithCancellationOnInboundClose { _ in try await work() }
    }
}
