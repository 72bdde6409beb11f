import Foundation
import LoomIndex
import LoomMedia
import LoomModelStore
import LoomModels
import LoomQueue
import LoomTasks

// The one place where the real caption/ask and index implementations are plugged into pipelines:
// SmolVLM/Idefics3 through `VisionLanguageTask` (LoomTasks/Vision) and the SQLite search index
// through `IndexBuilder` (LoomIndex).

extension PipelineEngines {
    /// The engines this build has.
    public static let standard = PipelineEngines(
        vision: { location, models in try models.visionLanguage(at: location.url) },
        index: { file, model, speech, ocr, models in
            try SearchIndexSink(file: file, embeddingModel: model, speechModel: speech, ocrModel: ocr, models: models)
        })
}

/// Greedy captions and answers, as `loom caption` / `loom ask` give them.
extension VisionLanguageTask: VisionLanguageEngine {
    public func caption(_ image: RGBImage, prompt: String, maxTokens: Int, tiling: Bool) throws -> String {
        let result = try caption(image: image, prompt: prompt, maxTokens: maxTokens, tiling: tiling)
        return (result.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func answer(_ question: String, about image: RGBImage, maxTokens: Int, tiling: Bool) throws -> String {
        let result = try ask(image: image, question: question, maxTokens: maxTokens, tiling: tiling)
        return (result.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The index step's sink: the same `IndexBuilder` as `loom index`, so a pipeline-made index is searched
/// with `loom search --index FILE`. It stores what the pipeline's steps made, with their models:
/// transcripts from the transcribe step (not transcribed again, and fingerprinted with the speech
/// model and the transcript, so a change of either re-indexes the file), the ocr step's lines as the
/// image's OCR segments (likewise), captions and answers as the item's caption texts, and the embed
/// step's vectors of those texts. Only what no step embedded (the
/// file name) is embedded here, with the embed step's model instance from the run's models.
final class SearchIndexSink: IndexSink, @unchecked Sendable {
    private let lock = NSLock()
    private let builder: IndexBuilder
    private let transcripts: PipelineTranscripts
    private let readLines: PipelineTextLines?
    private let vectors: PipelineTextVectors

    init(file: URL, embeddingModel: ResolvedModel?, speechModel: ResolvedModel?, ocrModel: ResolvedModel?, models: PipelineModels) throws {
        guard let embeddingModel else {
            throw IndexSinkError(message: "the index step needs an embed step (with a sentence-embedding model) among its needs")
        }
        let folder = embeddingModel.location.url
        let embedder = try models.sentenceEmbedder(embeddingModel)
        vectors = PipelineTextVectors(SentenceTextEmbedder(embedder: embedder, modelID: embeddingModel.location.catalogName ?? folder.lastPathComponent))
        transcripts = PipelineTranscripts(model: speechModel)
        readLines = ocrModel.map(PipelineTextLines.init)
        var folders = ["text": folder.path]
        folders["asr"] = speechModel?.location.url.path
        folders["ocr"] = ocrModel?.location.url.path
        builder = try IndexBuilder(
            store: try openIndex(url: file, access: .create), textEmbedder: vectors, transcriber: transcripts,
            textReader: readLines, modelFolders: folders)
    }

    func upsert(_ record: IndexRecord, finishing: ClaimFinish?) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        // A queue worker's item, with the index in the queue's database: the item's rows and its
        // done mark commit together (or, the claim lost, not at all).
        if let finishing, let store = builder.store as? PostgresIndexStore, store.location == finishing.database {
            return try store.transaction { db in
                let id = try index(record)
                try finishing.markDone(on: db)
                return id
            }
        }
        return try index(record)
    }

    /// Hands the record's texts and vectors to the builder and indexes the file (several writes,
    /// each its own transaction unless `upsert` opened one).
    private func index(_ record: IndexRecord) throws -> String {
        let url = URL(fileURLWithPath: record.path)
        let spoken = record.texts.filter { $0.kind == .transcript }
        transcripts.set(spoken.flatMap { text in
            text.segments.isEmpty
                ? [TimedText(start: 0, end: 0, text: text.text)]
                : text.segments.map { TimedText(start: $0.start, end: $0.end, text: $0.text) }
        }.map { TimedText(start: $0.start, end: $0.end, text: $0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .filter { !$0.text.isEmpty }, for: url)
        readLines?.set(record.texts.filter { $0.kind == .ocr }.flatMap { $0.text.components(separatedBy: "\n") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }, for: url)
        vectors.set(record.embeddings)
        defer { transcripts.clear(); readLines?.clear(); vectors.set([]) }
        if case .failed(let error) = try builder.index(file: url) {
            throw IndexSinkError(message: error)
        }
        for text in record.texts where text.kind != .transcript && text.kind != .ocr {
            let words = text.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !words.isEmpty { try builder.setCaption(words, forFileAt: url, captioner: text.source) }
        }
        return record.contentHash
    }

    func finish() throws {}
}

/// Hands the index the transcript the pipeline already made for the file being indexed.
final class PipelineTranscripts: SpeechTranscribing, @unchecked Sendable {
    /// The transcribe step's model (catalog name or path): the segments' `source` in the index.
    let modelID: String
    /// Its name and files (`ResolvedModel.identity`).
    private let identity: String
    private var current: (path: String, segments: [TimedText])?

    init(model: ResolvedModel?) {
        modelID = model.map { $0.location.catalogName ?? $0.location.url.path } ?? "none"
        identity = model?.identity ?? "none"
    }

    func set(_ segments: [TimedText], for url: URL) { current = (url.standardizedFileURL.path, segments) }
    func clear() { current = nil }

    /// The model's identity and a digest of the transcript, which its decoding options change too.
    func fingerprint(for url: URL) -> String {
        guard let current, current.path == url.standardizedFileURL.path else { return identity }
        let digest = SHA256.hex(of: Array(current.segments.map { "\($0.start)|\($0.end)|\($0.text)" }.joined(separator: "\n").utf8))
        return "\(identity) transcript=\(digest.prefix(16))"
    }

    func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double) {
        guard let current, current.path == url.standardizedFileURL.path else {
            throw IndexSinkError(message: "\(url.path): no transcript reached the index step; add the transcribe step to its needs")
        }
        return (current.segments, "", current.segments.last?.end ?? 0)
    }
}

/// Hands the index the lines the pipeline's ocr step read in the image being indexed.
final class PipelineTextLines: ImageTextReading, @unchecked Sendable {
    let modelID: String
    private let identity: String
    private var current: (path: String, lines: [String])?

    init(model: ResolvedModel) {
        modelID = model.location.catalogName ?? model.location.url.path
        identity = model.identity
    }

    func set(_ lines: [String], for url: URL) { current = (url.standardizedFileURL.path, lines) }
    func clear() { current = nil }

    /// The model's identity and a digest of the lines, which the step's options change too.
    func fingerprint(for url: URL) -> String {
        guard let current, current.path == url.standardizedFileURL.path else { return identity }
        return "\(identity) lines=\(SHA256.hex(of: Array(current.lines.joined(separator: "\n").utf8)).prefix(16))"
    }

    func lines(inImageAt url: URL) throws -> [String] {
        guard let current, current.path == url.standardizedFileURL.path else { return [] }
        return current.lines
    }
}

/// The index's text embedder in a pipeline: the embed step's vectors for the texts it embedded, the
/// shared model for the rest (file names, texts of earlier caches).
final class PipelineTextVectors: LoomIndex.TextEmbedding, @unchecked Sendable {
    private let model: SentenceTextEmbedder
    private var known: [String: [Float]] = [:]

    init(_ model: SentenceTextEmbedder) { self.model = model }

    var modelID: String { model.modelID }
    var dimension: Int { model.dimension }

    func set(_ embeddings: [TextEmbedding]) {
        known = [:]
        for embedding in embeddings {
            if let text = embedding.text { known[text] = embedding.vector }
        }
    }

    func embed(_ texts: [String]) throws -> [[Float]] {
        let missing = Array(Set(texts.filter { known[$0] == nil }))
        let computed = try model.embed(missing)
        guard computed.count == missing.count else {
            throw IndexSinkError(message: "\(modelID) returned \(computed.count) vectors for \(missing.count) texts")
        }
        let vectors = known.merging(zip(missing, computed)) { $1 }
        return texts.compactMap { vectors[$0] }
    }
}

struct IndexSinkError: Error, CustomStringConvertible, LocalizedError {
    let message: String
    var description: String { message }
    var errorDescription: String? { message }
}
