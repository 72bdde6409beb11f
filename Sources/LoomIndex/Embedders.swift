import Foundation

// The models the index runs, as small protocols so tests can count calls and the pipeline (issue #7)
// can hand in models it has already loaded. One default type stands behind each (ModelEmbedders.swift).

/// Text -> normalized vectors (MiniLM sentence embeddings by default).
public protocol TextEmbedding {
    /// Names the model in the index; vectors of different ids are never compared.
    var modelID: String { get }
    var dimension: Int { get }
    /// One L2-normalized vector per text, in order.
    func embed(_ texts: [String]) throws -> [[Float]]
}

/// Image file -> normalized vector (CLIP or SigLIP), and optionally text into the same space so a
/// text query can find images.
public protocol ImageEmbedding {
    var modelID: String { get }
    var dimension: Int { get }
    /// The normalized embedding of the image in `url`, and its size in pixels.
    func embed(imageAt url: URL) throws -> (vector: [Float], width: Int, height: Int)
    /// The normalized text-tower embedding of `text`, or nil when the model folder has no tokenizer.
    func embed(text: String) throws -> [Float]?
}

/// One timed piece of a transcript.
public struct TimedText: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var text: String

    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
}

/// Audio file -> transcript segments with times (Whisper by default).
public protocol SpeechTranscribing {
    var modelID: String { get }
    /// What the transcript of `url` is made with, for the item's fingerprint: a change re-indexes
    /// the file. The model id by default; a pipeline adds the transcript it computed (its decoding
    /// options can change it too).
    func fingerprint(for url: URL) -> String
    /// The transcript of `url` and its spoken language, plus the audio's length in seconds.
    func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double)
}

extension SpeechTranscribing {
    public func fingerprint(for url: URL) -> String { modelID }
}

/// Image file -> the lines of text printed in it (PP-OCR by default), each stored as a segment so a
/// search for the words finds the image.
public protocol ImageTextReading {
    var modelID: String { get }
    /// What the lines of `url` are read with, for the item's fingerprint (as `SpeechTranscribing`'s).
    func fingerprint(for url: URL) -> String
    /// The lines read in the image at `url`, in reading order.
    func lines(inImageAt url: URL) throws -> [String]
}

extension ImageTextReading {
    public func fingerprint(for url: URL) -> String { modelID }
}
