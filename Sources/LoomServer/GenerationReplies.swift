import Foundation
import HTTPTypes
import Hummingbird
import LoomGeneration

/// The JSON of a chat or completion reply, whole or as stream chunks, in OpenAI's shapes.
enum ReplyShape: Sendable {
    case chat(id: String, model: String)
    case completion(id: String, model: String)

    private var header: [String: Any] {
        switch self {
        case .chat(let id, let model): return ["id": id, "model": model, "created": Int(Date().timeIntervalSince1970)]
        case .completion(let id, let model): return ["id": id, "model": model, "created": Int(Date().timeIntervalSince1970)]
        }
    }

    static func usage(_ results: [GenerationResult]) -> [String: Int] {
        let prompt = results.reduce(0) { $0 + $1.stats.promptTokens }
        let completion = results.reduce(0) { $0 + $1.stats.generatedTokens }
        return ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion]
    }

    func complete(_ result: GenerationResult) -> [String: Any] { complete([result]) }

    /// The whole reply: one choice per result.
    func complete(_ results: [GenerationResult]) -> [String: Any] {
        var reply = header
        reply["usage"] = Self.usage(results)
        switch self {
        case .chat:
            reply["object"] = "chat.completion"
            reply["choices"] = results.enumerated().map { index, result in
                ["index": index, "message": ["role": "assistant", "content": result.text ?? ""],
                 "finish_reason": result.finishReason.apiName, "logprobs": NSNull()] as [String: Any]
            }
        case .completion:
            reply["object"] = "text_completion"
            reply["choices"] = results.enumerated().map { index, result in
                ["index": index, "text": result.text ?? "", "finish_reason": result.finishReason.apiName, "logprobs": NSNull()] as [String: Any]
            }
        }
        return reply
    }

    /// A stream chunk: `delta` is the role chunk's role, a piece of text, or nothing (the finish chunk).
    func chunk(role: Bool = false, text: String? = nil, finish: FinishReason? = nil) -> [String: Any] {
        var chunk = header
        var choice: [String: Any] = ["index": 0, "finish_reason": finish.map { $0.apiName as Any } ?? NSNull()]
        switch self {
        case .chat:
            chunk["object"] = "chat.completion.chunk"
            var delta: [String: Any] = [:]
            if role { delta["role"] = "assistant" }
            if role || text != nil { delta["content"] = text ?? "" }
            choice["delta"] = delta
        case .completion:
            chunk["object"] = "text_completion"
            choice["text"] = text ?? ""
            choice["logprobs"] = NSNull()
        }
        chunk["choices"] = [choice]
        return chunk
    }

    /// The last chunk with `stream_options.include_usage`: no choices, the usage.
    func usageChunk(_ result: GenerationResult) -> [String: Any] {
        var chunk = header
        chunk["object"] = { if case .chat = self { return "chat.completion.chunk" } else { return "text_completion" } }()
        chunk["choices"] = [Any]()
        chunk["usage"] = Self.usage([result])
        return chunk
    }
}

/// What work behind an event stream hands the response writer.
enum StreamEvent: Sendable {
    /// One `data:` frame: a JSON object's bytes, or `[DONE]`.
    case data(Data)
    /// Nothing written for a while (a long prompt): a comment line keeps proxies and clients waiting.
    case ping
    case failed(APIError)
}

extension LoomServer {
    /// Chat and completion streams: a role chunk, a chunk per piece of text, the finish chunk, the
    /// usage chunk when asked, then `data: [DONE]`.
    func stream(_ job: @escaping GenerationJob, for request: Request, on model: ServedModel, shape: ReplyShape,
                includeUsage: Bool) throws -> Response {
        let opening: [Data] = { if case .chat = shape { return [JSON.data(shape.chunk(role: true))] } else { return [] } }()
        return try eventStream(for: request, on: model, opening: opening) { send in
            let result = try await job { send(JSON.data(shape.chunk(text: $0))) }
            self.metrics.generated(result, model: model.id)
            send(JSON.data(shape.chunk(finish: result.finishReason)))
            if includeUsage { send(JSON.data(shape.usageChunk(result))) }
            send(Data("[DONE]".utf8))
        }
    }

    /// Server-sent events from `work`, which runs on the model's thread and `send`s each frame's data
    /// as it goes; `opening` frames go out at once. An error after the headers went out is a
    /// `data: {"error":…}` frame (what the openai client raises as APIError). Writes to a client that
    /// has gone do not fail, so the stream watches `request`'s connection as `whileConnected` does: a
    /// hang-up cancels the work at its next token or window and gives its place back.
    func eventStream(for request: Request, on model: ServedModel, opening: [Data] = [],
                     work: @escaping @Sendable (_ send: @escaping @Sendable (Data) -> Void) async throws -> Void) throws -> Response {
        let ticket = try model.queue.admit()  // 503 now, before the stream's 200 goes out
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { ticket.release() }
            try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await self.writeEvents(of: work, on: model, opening: opening, to: &writer)
            }
            try await writer.finish(nil)
        })
    }

    /// Runs `work` on the model's thread and writes what it sends as SSE frames, with a comment
    /// ping whenever nothing was written for a second (a long prompt, a long audio window).
    private func writeEvents(of work: @escaping @Sendable (_ send: @escaping @Sendable (Data) -> Void) async throws -> Void,
                             on model: ServedModel, opening: [Data], to writer: inout any ResponseBodyWriter) async throws {
        let (events, continuation) = AsyncStream<StreamEvent>.makeStream()
        func frame(_ data: Data) -> ByteBuffer {
            ByteBuffer(bytes: Data("data: ".utf8) + data + Data("\n\n".utf8))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await model.queue.perform { try await work { continuation.yield(.data($0)) } }
                } catch {
                    continuation.yield(.failed(APIError.from(error)))
                }
                continuation.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(1))
                    continuation.yield(.ping)
                }
            }
            for data in opening { try await writer.write(frame(data)) }
            var lastWrite = ContinuousClock.now
            for await event in events {
                if Task.isCancelled { break }
                switch event {
                case .data(let data):
                    try await writer.write(frame(data))
                case .ping:
                    guard ContinuousClock.now - lastWrite >= .seconds(1) else { continue }
                    try await writer.write(ByteBuffer(string: ":\n\n"))
                case .failed(let error):
                    if error.status.code != 499 { self.log("stream on \(model.id): \(error)") }
                    try await writer.write(frame(JSON.data(error.body)))
                }
                lastWrite = .now
            }
            group.cancelAll()
        }
    }
}
