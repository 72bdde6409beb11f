import Foundation
import HTTPTypes
import Hummingbird

/// Turns whatever a route throws (or the router's own 404) into the API's one error shape, and logs
/// server errors.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            // A full queue is routine (the client retries); server faults and hang-ups are logged.
            if apiError.status.code >= 499 && apiError.status != .serviceUnavailable {
                log("\(request.method) \(request.uri.path): \(apiError)")
            }
            return apiError.response
        }
    }
}

/// Refuses a body the `Content-Length` says is too large before reading any of it (413); bodies
/// without a length are cut at the same limit as they are read.
struct UploadLimitMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            var response = APIError.tooLarge(limit: limit).response
            // The unread body would otherwise be read to the end to keep the connection.
            response.headers[.connection] = "close"
            return response
        }
        return try await next(request, context)
    }
}

/// Every POST answer ends its connection (`Connection: close`): model calls and streams watch the
/// inbound stream to cancel when the client leaves (`LoomServer.whileConnected`), after which
/// Hummingbird closes the connection; saying so keeps a client from sending its next request into
/// the closing one.
struct CloseAfterPostMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.method == .post { response.headers[.connection] = "close" }
        return response
    }
}

/// API keys: `Authorization: Bearer KEY` or `X-Api-Key: KEY`; for the page's `<img>` and `<audio>`
/// elements, which cannot send headers, also `?api_key=KEY` on GET requests. The health check, the
/// model list, the page and CORS preflights stay public, as llama.cpp's server keeps them.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let keys: Set<String>

    static let publicPaths: Set<String> = ["/", "/health", "/v1/health", "/v1/models", "/models"]
    static let apiKeyField = HTTPField.Name("X-Api-Key")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .options, !Self.publicPaths.contains(request.uri.path) else { return try await next(request, context) }
        var offered = request.headers[Self.apiKeyField]
        if offered == nil, request.method == .get { offered = request.uri.queryParameters.get("api_key") }
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            offered = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        guard let offered, keys.contains(offered) else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}

/// CORS for the listed origins only (`*` allows any); other origins get no CORS headers, so
/// browsers keep their pages out. Preflights are answered here.
struct CORSOriginsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let origins: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) || origins.contains("*") else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            response.headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type, X-Api-Key"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}
