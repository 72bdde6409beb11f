import Foundation

/// What `loom serve` was told: where to listen, which models to serve, and the limits. Plain values;
/// `LoomServer` turns them into routes.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// What each role serves: a catalog name or a path, as `--model ROLE=NAME|PATH`.
    public var models: [ModelRole: String] = [:]
    /// The folder whose image files requests may name (`file://` URLs in `image_url`); nil: none.
    public var mediaRoot: URL?
    /// The index `/api/search` answers from.
    public var index: URL?
    /// Keys a request must carry (Bearer or X-Api-Key); empty: no key needed.
    public var apiKeys: Set<String> = []
    /// Origins allowed to call from a browser; empty: CORS off.
    public var corsOrigins: [String] = []
    /// Requests that may wait for one model while it works on another; past that, 503.
    public var maxQueue = 8
    /// The largest request body, in bytes; past that, 413.
    public var maxUploadBytes = 25 * 1024 * 1024
    /// Models unused this long are unloaded (nil: never).
    public var idleUnload: Duration?
    /// Threads of Whisper's log-mel front end (matrix products use `ComputeThreads`).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Seconds a client is told to wait when a queue is full.
    public var retryAfterSeconds = 1

    public init() {}
}

/// What a served model does; `--model ROLE=...` names one per role.
public enum ModelRole: String, CaseIterable, Sendable {
    /// A Llama-family language model: /v1/chat/completions and /v1/completions.
    case chat
    /// A SmolVLM / Idefics3 model: chat with an image.
    case vision
    /// A sentence-transformers model (MiniLM): /v1/embeddings.
    case embeddings
    /// A CLIP or SigLIP model: /v1/embeddings of texts and images.
    case clip
    /// A Whisper model: /v1/audio/transcriptions and /translations.
    case asr

    /// The model a role serves when `--model` does not name one, if it is installed.
    public var defaultName: String? {
        switch self {
        case .chat: return "smollm2-135m-instruct"
        case .embeddings: return "minilm-l6-v2"
        case .asr: return "whisper-base"
        case .vision, .clip: return nil
        }
    }

    /// What `/v1/models` lists as the model's inputs.
    public var inputModalities: [String] {
        switch self {
        case .chat, .embeddings: return ["text"]
        case .vision, .clip: return ["text", "image"]
        case .asr: return ["audio"]
        }
    }

    public var outputModalities: [String] {
        switch self {
        case .chat, .vision, .asr: return ["text"]
        case .embeddings, .clip: return ["embedding"]
        }
    }
}
