import Foundation
import Hummingbird
import LoomModels
import LoomTasks

/// The body of POST /v1/embeddings.
struct EmbeddingRequest: Decodable {
    var model: String?
    var input: Input
    var encodingFormat: String?

    enum CodingKeys: String, CodingKey {
        case model, input
        case encodingFormat = "encoding_format"
    }

    /// A text, texts, token ids, or lists of token ids (what LangChain's OpenAIEmbeddings sends);
    /// for CLIP and SigLIP also content parts, texts and `image_url` images mixed.
    enum Input: Decodable {
        case texts([String])
        case tokens([[Int]])
        case parts([Item])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .texts([text])
            } else if let texts = try? container.decode([String].self) {
                self = .texts(texts)
            } else if let ids = try? container.decode([Int].self) {
                self = .tokens([ids])
            } else if let lists = try? container.decode([[Int]].self) {
                self = .tokens(lists)
            } else if let items = try? container.decode([Item].self) {
                self = .parts(items)
            } else {
                throw DecodingError.typeMismatch(String.self, .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "a string, strings, token ids, lists of token ids, or content parts (text, image_url)"))
            }
        }

        var count: Int {
            switch self {
            case .texts(let texts): return texts.count
            case .tokens(let lists): return lists.count
            case .parts(let items): return items.count
            }
        }
    }

    /// One content part of an embedding input: a string, `{"type":"text","text":...}`, or
    /// `{"type":"image_url","image_url":{"url":"data:..."}}`.
    enum Item: Decodable {
        case text(String)
        case image(url: String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
                return
            }
            let part = try container.decode(ChatRequest.Part.self)
            switch (part.type, part.text, part.imageURL) {
            case ("text", let text?, _): self = .text(text)
            case ("image_url", _, let image?): self = .image(url: image.url)
            default:
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "a part must be text (with text) or image_url (with image_url.url)"))
            }
        }
    }
}

extension LoomServer {
    /// More inputs than one request may embed: bounds the work a single body can ask for.
    static let maxEmbeddingInputs = 2048

    func addEmbeddingRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/embeddings") { request, _ in try await self.embeddings(request) }
    }

    func embeddings(_ request: Request) async throws -> Response {
        var request = request
        let body = try JSON.decode(EmbeddingRequest.self, from: try await readBody(&request))
        let served = try models.model(body.model, for: [.embeddings, .clip])
        let base64: Bool
        switch body.encodingFormat ?? "float" {
        case "float": base64 = false
        case "base64": base64 = true
        case let other: throw APIError.badRequest("encoding_format must be float or base64, not '\(other)'", param: "encoding_format")
        }
        let count = body.input.count
        guard count >= 1 else { throw APIError.badRequest("input is empty", param: "input") }
        guard count <= Self.maxEmbeddingInputs else {
            throw APIError.badRequest("input holds \(count) items; at most \(Self.maxEmbeddingInputs) per request", param: "input")
        }
        let shared = models.shared
        let (vectors, tokens) = try await whileConnected(request) {
            try await served.queue.run { () async throws -> ([[Float]], Int) in
                if served.role == .clip {
                    let task = try shared.dualEncoder(at: served.url)
                    return (try await Self.dualEncoderEmbeddings(body.input, task: task, mediaRoot: self.configuration.mediaRoot), 0)
                }
                let embedder = try shared.sentenceEmbedder(at: served.url)
                let ids: [[Int]]
                switch body.input {
                case .texts(let texts): ids = embedder.tokenIDs(texts)
                case .tokens(let lists): ids = try Self.checkedTokenIDs(lists, embedder: embedder)
                case .parts(let items):
                    ids = embedder.tokenIDs(try items.enumerated().map { index, item in
                        guard case .text(let text) = item else {
                            throw APIError.badRequest("the model '\(served.id)' embeds text only; images need a clip model", param: "input[\(index)]")
                        }
                        return text
                    })
                }
                return (try embedder.embed(tokenIDs: ids), ids.reduce(0) { $0 + $1.count })
            }
        }
        let data: [[String: Any]] = vectors.enumerated().map { index, vector in
            ["object": "embedding", "index": index, "embedding": base64 ? Self.base64(vector) as Any : vector.map(Double.init) as Any]
        }
        return JSON.response(["object": "list", "data": data, "model": served.id,
                              "usage": ["prompt_tokens": tokens, "total_tokens": tokens]])
    }

    /// CLIP / SigLIP embeddings of texts and images, in input order; token ids are refused (the
    /// client's ids would not be this tokenizer's).
    static func dualEncoderEmbeddings(_ input: EmbeddingRequest.Input, task: DualEncoderTask, mediaRoot: URL?) async throws -> [[Float]] {
        let items: [EmbeddingRequest.Item]
        switch input {
        case .texts(let texts): items = texts.map { .text($0) }
        case .parts(let parts): items = parts
        case .tokens: throw APIError.badRequest("a clip model embeds texts and images, not token ids", param: "input")
        }
        var vectors: [[Float]] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .text(let text): vectors.append(try await task.textEmbedding(text))
            case .image(let url): vectors.append(try await task.imageEmbedding(try decodeImage(url, param: "input[\(index)]", mediaRoot: mediaRoot)))
            }
        }
        return vectors
    }

    /// Token ids sent for a sentence model: in its vocabulary, and no longer than it reads.
    static func checkedTokenIDs(_ lists: [[Int]], embedder: SentenceEmbedder) throws -> [[Int]] {
        let vocabulary = embedder.encoder.config.vocabSize
        for (index, ids) in lists.enumerated() {
            guard !ids.isEmpty else { throw APIError.badRequest("input[\(index)] is an empty list of token ids", param: "input") }
            guard ids.count <= embedder.maxLength else {
                throw APIError.badRequest("input[\(index)] has \(ids.count) tokens; the model reads at most \(embedder.maxLength)", param: "input")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                throw APIError.badRequest("input[\(index)]: token id \(bad) is outside the vocabulary (0..<\(vocabulary))", param: "input")
            }
        }
        return lists
    }

    /// The vector as little-endian float32 bytes in base64: what the openai client decodes.
    static func base64(_ vector: [Float]) -> String {
        var bytes = Data(capacity: vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes.base64EncodedString()
    }
}
