import Foundation
import LoomGeneration

/// The body of POST /v1/chat/completions: the OpenAI fields Loom reads. Fields it does not know are
/// ignored, as OpenAI-compatible servers do; fields it knows but cannot honour are refused (400).
struct ChatRequest: Decodable {
    var model: String?
    var messages: [Message]
    var stream: Bool?
    var streamOptions: StreamOptions?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Float?
    var topP: Float?
    var seed: Int64?
    var stop: StopStrings?
    var n: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, temperature, seed, stop, n
        case streamOptions = "stream_options"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
    }

    struct Message: Decodable {
        var role: String
        var content: Content?
    }

    /// A message's content: a string, or a list of parts.
    enum Content: Decodable {
        case text(String)
        case parts([Part])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .parts(try container.decode([Part].self))
            }
        }
    }

    struct Part: Decodable {
        var type: String
        var text: String?
        var imageURL: ImageURL?

        enum CodingKeys: String, CodingKey {
            case type, text
            case imageURL = "image_url"
        }
    }

    struct ImageURL: Decodable {
        var url: String
    }
}

/// The body of POST /v1/completions.
struct CompletionRequest: Decodable {
    var model: String?
    var prompt: Prompt
    var stream: Bool?
    var streamOptions: StreamOptions?
    var maxTokens: Int?
    var temperature: Float?
    var topP: Float?
    var seed: Int64?
    var stop: StopStrings?
    var n: Int?

    enum CodingKeys: String, CodingKey {
        case model, prompt, stream, temperature, seed, stop, n
        case streamOptions = "stream_options"
        case maxTokens = "max_tokens"
        case topP = "top_p"
    }

    /// A prompt as text, texts, token ids, or lists of token ids: one completion each.
    enum Prompt: Decodable {
        case texts([String])
        case tokens([[Int]])

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
            } else {
                throw DecodingError.typeMismatch(
                    String.self, .init(codingPath: decoder.codingPath, debugDescription: "a string, strings, token ids or lists of token ids"))
            }
        }

        var count: Int {
            switch self {
            case .texts(let texts): return texts.count
            case .tokens(let lists): return lists.count
            }
        }
    }
}

struct StreamOptions: Decodable {
    var includeUsage: Bool?

    enum CodingKeys: String, CodingKey {
        case includeUsage = "include_usage"
    }
}

/// `stop`: one string or a list.
struct StopStrings: Decodable {
    var values: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            values = [one]
        } else {
            values = try container.decode([String].self)
        }
    }
}

/// What every generation request shares: how to sample and when to stop, checked before the
/// request waits for the model so a bad value is a 400 at once.
struct GenerationSettings: Sendable {
    var sampling: SamplingOptions
    var maxTokens: Int
    var stop: [String]

    init(maxTokens: Int?, temperature: Float?, topP: Float?, seed: Int64?, stop: StopStrings?, n: Int?, defaultMaxTokens: Int) throws {
        if let n, n != 1 { throw APIError.badRequest("n must be 1: Loom returns one choice per prompt", param: "n") }
        let maxTokens = maxTokens ?? defaultMaxTokens
        guard maxTokens >= 1 else { throw APIError.badRequest("max_tokens must be at least 1, not \(maxTokens)", param: "max_tokens") }
        // OpenAI's temperature runs 0...2 and defaults to 1; Loom's CLI defaults to greedy. The API's
        // default is kept so clients that send nothing get what they expect from OpenAI.
        sampling = SamplingOptions(temperature: temperature ?? 1, topP: topP ?? 1, seed: UInt64(bitPattern: seed ?? 0))
        do {
            _ = try Sampler(sampling)
        } catch {
            throw APIError.badRequest("\(error)", param: "temperature")
        }
        self.maxTokens = maxTokens
        self.stop = stop?.values ?? []
        if self.stop.count > 4 { throw APIError.badRequest("stop takes at most 4 strings", param: "stop") }
        if self.stop.contains("") { throw APIError.badRequest("a stop string may not be empty", param: "stop") }
    }
}

extension FinishReason {
    /// OpenAI's name: "stop" at an end token or stop string, "length" at the token limit.
    var apiName: String {
        switch self {
        case .endOfSequence, .stopString: return "stop"
        case .maxTokens: return "length"
        }
    }
}
