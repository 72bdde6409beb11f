import Foundation
import Hummingbird
import LoomGeneration
import LoomMedia
import LoomTasks
import LoomTokenizers

/// One generation a request asks for, ready to run on its model's thread: `onText` gets each piece of
/// text as it is decoded.
typealias GenerationJob = @Sendable (_ onText: @escaping @Sendable (String) throws -> Void) async throws -> GenerationResult

extension LoomServer {
    func addGenerationRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/chat/completions") { request, _ in try await self.chat(request) }
        router.post("/v1/completions") { request, _ in try await self.completions(request) }
    }

    func chat(_ request: Request) async throws -> Response {
        var request = request
        let body = try JSON.decode(ChatRequest.self, from: try await readBody(&request))
        let served = try models.model(body.model, for: [.chat, .vision])
        let settings = try GenerationSettings(
            maxTokens: body.maxCompletionTokens ?? body.maxTokens, temperature: body.temperature, topP: body.topP,
            seed: body.seed, stop: body.stop, n: body.n, defaultMaxTokens: Int.max)
        let job = served.role == .vision
            ? try visionJob(body.messages, model: served, settings: settings)
            : try textChatJob(body.messages, model: served, settings: settings)
        let reply = ReplyShape.chat(id: "chatcmpl-" + Self.randomID(), model: served.id)
        if body.stream == true {
            return try stream(job, for: request, on: served, shape: reply, includeUsage: body.streamOptions?.includeUsage == true)
        }
        let result = try await whileConnected(request) { try await served.queue.run { try await job { _ in } } }
        metrics.generated(result, model: served.id)
        return JSON.response(reply.complete(result))
    }

    func completions(_ request: Request) async throws -> Response {
        var request = request
        let body = try JSON.decode(CompletionRequest.self, from: try await readBody(&request))
        let served = try models.model(body.model, for: [.chat])
        let settings = try GenerationSettings(
            maxTokens: body.maxTokens, temperature: body.temperature, topP: body.topP, seed: body.seed, stop: body.stop,
            n: body.n, defaultMaxTokens: 16)  // OpenAI's default for completions
        guard body.prompt.count >= 1 else { throw APIError.badRequest("prompt is empty", param: "prompt") }
        let shared = models.shared
        let jobs: [GenerationJob] = (0..<body.prompt.count).map { index in
            { onText in
                let generation = try shared.textGeneration(at: served.url)
                let ids: [Int]
                switch body.prompt {
                case .texts(let texts): ids = generation.tokenizer.encode(texts[index], addSpecialTokens: true)
                case .tokens(let lists): ids = try Self.checkedIDs(lists[index], vocabulary: generation.tokenizer.vocabularySize)
                }
                return try await generation.generate(
                    prompt: ids, sampling: settings.sampling, stop: Self.stopRules(settings, generation), onText: onText)
            }
        }
        let reply = ReplyShape.completion(id: "cmpl-" + Self.randomID(), model: served.id)
        if body.stream == true {
            guard jobs.count == 1 else { throw APIError.badRequest("stream takes one prompt, not \(jobs.count)", param: "prompt") }
            return try stream(jobs[0], for: request, on: served, shape: reply, includeUsage: body.streamOptions?.includeUsage == true)
        }
        let results = try await whileConnected(request) {
            try await served.queue.run {
                var results: [GenerationResult] = []
                for job in jobs { results.append(try await job { _ in }) }
                return results
            }
        }
        for result in results { metrics.generated(result, model: served.id) }
        return JSON.response(reply.complete(results))
    }

    /// A text model's chat: the messages through the model's chat template, as `loom generate` does
    /// with one user message.
    func textChatJob(_ messages: [ChatRequest.Message], model: ServedModel, settings: GenerationSettings) throws -> GenerationJob {
        guard !messages.isEmpty else { throw APIError.badRequest("messages is empty", param: "messages") }
        let turns = try messages.enumerated().map { index, message in
            let (text, images) = try Self.split(message.content, at: index)
            guard images.isEmpty else {
                let vision = models.all.first(where: { $0.role == .vision })?.id
                throw APIError.badRequest("the model '\(model.id)' reads text only" + (vision.map { "; send images to '\($0)'" } ?? ""),
                                          param: "messages[\(index)].content")
            }
            return ChatMessage(role: message.role, content: text)
        }
        let shared = models.shared
        return { onText in
            let generation = try shared.textGeneration(at: model.url)
            let ids = try generation.promptTokens(turns)
            return try await generation.generate(prompt: ids, sampling: settings.sampling, stop: Self.stopRules(settings, generation), onText: onText)
        }
    }

    /// A vision model's chat: one user message with one image and its text, as `loom ask` takes them.
    func visionJob(_ messages: [ChatRequest.Message], model: ServedModel, settings: GenerationSettings) throws -> GenerationJob {
        guard messages.count == 1, messages[0].role == "user" else {
            throw APIError.badRequest("the model '\(model.id)' answers one user message holding one image and its question", param: "messages")
        }
        let (text, images) = try Self.split(messages[0].content, at: 0)
        guard images.count == 1 else {
            throw APIError.badRequest("the message holds \(images.count) images; the model '\(model.id)' takes exactly one", param: "messages[0].content")
        }
        guard settings.stop.isEmpty else { throw APIError.badRequest("stop is not supported with images", param: "stop") }
        let image = try Self.decodeImage(images[0], param: "messages[0].content", mediaRoot: configuration.mediaRoot)
        let shared = models.shared
        return { onText in
            try await shared.visionLanguage(at: model.url).ask(
                image: image, question: text, maxTokens: settings.maxTokens, sampling: settings.sampling, onText: onText)
        }
    }

    /// A message's text (parts joined by newlines) and its image URLs.
    static func split(_ content: ChatRequest.Content?, at index: Int) throws -> (String, [String]) {
        switch content {
        case nil: return ("", [])
        case .text(let text): return (text, [])
        case .parts(let parts):
            var texts: [String] = []
            var images: [String] = []
            for (partIndex, part) in parts.enumerated() {
                switch part.type {
                case "text": texts.append(part.text ?? "")
                case "image_url":
                    guard let url = part.imageURL?.url else {
                        throw APIError.badRequest("an image_url part needs image_url.url", param: "messages[\(index)].content[\(partIndex)]")
                    }
                    images.append(url)
                default:
                    throw APIError.badRequest("content parts of type '\(part.type)' are not supported (text, image_url are)",
                                              param: "messages[\(index)].content[\(partIndex)]")
                }
            }
            return (texts.joined(separator: "\n"), images)
        }
    }

    static func stopRules(_ settings: GenerationSettings, _ generation: TextGeneration) -> StopRules {
        StopRules(maxTokens: settings.maxTokens, eosTokenIDs: generation.endOfGenerationTokens, stopStrings: settings.stop)
    }

    /// Token ids a client sent, each checked against the vocabulary.
    static func checkedIDs(_ ids: [Int], vocabulary: Int) throws -> [Int] {
        guard !ids.isEmpty else { throw APIError.badRequest("a token-id prompt is empty", param: "prompt") }
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw APIError.badRequest("token id \(bad) is outside the vocabulary (0..<\(vocabulary))", param: "prompt")
        }
        return ids
    }

    static func randomID() -> String {
        String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24))
    }
}
