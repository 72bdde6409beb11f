import LoomTensor

/// One image or audio clip turned into rows of the language model's input space: (tokens, hidden),
/// in the order they take the place of the prompt's marker tokens.
public struct MediaEmbeddings: Sendable, Equatable {
    /// What the rows stand for; each kind has its own marker token in the prompt.
    public enum Kind: String, Sendable, Equatable, Hashable {
        case image, audio

        /// "1 image", "2 audio clips": for messages.
        func counted(_ count: Int) -> String {
            let noun = self == .image ? "image" : "audio clip"
            return "\(count) \(noun)\(count == 1 ? "" : "s")"
        }
    }

    public let kind: Kind
    /// (tokenCount, width).
    public let embeddings: Tensor

    /// Throws unless `embeddings` is a matrix with at least one row and one column.
    public init(kind: Kind, embeddings: Tensor) throws {
        guard embeddings.rank == 2, embeddings.shape[0] > 0, embeddings.shape[1] > 0 else {
            throw MultimodalPromptError.notRows(kind: kind, shape: embeddings.shape)
        }
        self.kind = kind
        self.embeddings = embeddings
    }

    /// The prompt positions these rows fill.
    public var tokenCount: Int { embeddings.shape[0] }
    /// The row width: the language model's hidden size for the rows to fit.
    public var width: Int { embeddings.shape[1] }
}

/// The token a family's processor writes once per embedding row of an image or audio clip (`<image>`
/// in Idefics3/SmolVLM; `<|audio|>`-style tokens in Ultravox, Qwen2-Audio, Voxtral).
public struct MediaMarker: Sendable, Equatable {
    /// The marker as text, for messages.
    public let token: String
    public let id: Int
    public let kind: MediaEmbeddings.Kind

    public init(token: String, id: Int, kind: MediaEmbeddings.Kind) {
        self.token = token
        self.id = id
        self.kind = kind
    }
}

/// A media encoder with its projector into the language model (Idefics3's SigLIP tower and pixel-shuffle
/// connector; an audio encoder and its projector next). Its rows replace the prompt's `marker` tokens, so a
/// family needs no splicing code of its own: the processor expands markers, this gives the rows,
/// `MultimodalPrompt` pairs them up and `LlamaSession.forward(prompt:)` runs them.
public protocol MediaEmbedding: Sendable {
    /// One preprocessed media input (e.g. an image's tile pixel values, an audio clip's spectrogram).
    associatedtype MediaInput
    /// The marker token whose positions this encoder's rows fill.
    var marker: MediaMarker { get }
    /// The rows for one input, `marker.kind`, width = the language model's hidden size.
    func embeddings(for input: MediaInput) throws -> MediaEmbeddings
}
