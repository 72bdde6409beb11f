import Foundation
import HTTPTypes
import Hummingbird
import LoomMedia
import LoomModels
import NIOCore

/// The one error every route answers with, in OpenAI's shape (`{"error":{"code","message","type"}}`),
/// so the openai client raises its matching exception class (BadRequestError, NotFoundError, ...).
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let type: String
    public let message: String
    /// The request parameter at fault, when one is.
    public var param: String?
    /// Seconds a client should wait before retrying (a full queue).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, type: String, _ message: String, param: String? = nil) {
        (self.status, self.type, self.message, self.param) = (status, type, message, param)
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    public static func badRequest(_ message: String, param: String? = nil) -> APIError {
        APIError(.badRequest, type: "invalid_request_error", message, param: param)
    }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, type: "not_found_error", message) }
    public static let unauthorized = APIError(.unauthorized, type: "authentication_error", "Invalid API Key")
    public static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, type: "invalid_request_error",
                 "the request body is larger than the server's limit of \(limit / (1024 * 1024)) MB (loom serve --max-upload-mb)")
    }
    public static func unsupportedMedia(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, type: "invalid_request_error", message)
    }
    public static func unavailable(_ message: String, retryAfter: Int? = nil) -> APIError {
        var error = APIError(.serviceUnavailable, type: "unavailable_error", message)
        error.retryAfter = retryAfter
        return error
    }
    public static func server(_ message: String) -> APIError { APIError(.internalServerError, type: "server_error", message) }

    /// The JSON body: the same object in a response and in a `data:` frame of a stream.
    public var body: [String: Any] {
        var error: [String: Any] = ["code": Int(status.code), "message": message, "type": type]
        if let param { error["param"] = param }
        return ["error": error]
    }

    public var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSON.data(body))))
    }

    /// Any error a route throws as the API's error: request errors keep their status; media that
    /// do not decode are 415; prompts past the context 400; a cancelled request (the client left) is 499 in the log only; anything
    /// else is the task's own message with 500.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as HTTPError where error.status == .contentTooLarge:
            return APIError(.contentTooLarge, type: "invalid_request_error", error.body ?? "the request body is too large")
        case is NIOTooManyBytesError:
            // A body without a declared length (chunked) that grew past the limit as it was read.
            return APIError(.contentTooLarge, type: "invalid_request_error", "the request body is larger than the server's limit (loom serve --max-upload-mb)")
        case let error as HTTPError where error.status == .notFound:
            return .notFound(error.body ?? "File Not Found")
        case let error as HTTPError:
            return APIError(error.status, type: error.status.code < 500 ? "invalid_request_error" : "server_error",
                            error.body ?? error.status.reasonPhrase)
        case is AudioDecodingError, is ImageDecodingError:
            return .unsupportedMedia("\(error)")
        case let error as LlamaInputError:
            // A prompt the model cannot take (longer than its context): the request's fault.
            return .badRequest(error.message, param: "messages")
        case is CancellationError:
            return APIError(HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"), type: "cancelled", "the client closed the connection")
        default:
            return .server("\(error)")
        }
    }
}

/// JSON in and out of the routes: Foundation's serializer for replies built as dictionaries, and
/// Codable requests whose decoding errors become 400s naming the field.
enum JSON {
    static func data(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
    }

    static func response(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data(object))))
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.badRequest(describe(error))
        } catch {
            throw APIError.badRequest("the body is not JSON: \(error)")
        }
    }

    /// A decoding error as a sentence a client can act on: which field, and what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing required field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return field.isEmpty ? "the body is not valid JSON" : "field '\(field)': \(context.debugDescription)"
        @unknown default:
            return "the body does not match the API: \(error)"
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.getData(at: buffer.readerIndex, length: buffer.readableBytes) ?? Data()
    }
}
