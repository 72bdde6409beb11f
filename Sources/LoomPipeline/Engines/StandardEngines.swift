import Foundation
import LoomIndex
import LoomMedia
import LoomModelStore
import LoomTasks

// The one place where the real caption/ask and index implementations are plugged into pipelines:
// SmolVLM/Idefics3 through `VisionLanguageTask` (LoomTasks/Vision) and the SQLite search index
// through `IndexBuilder` (LoomIndex).

extension PipelineEngines {
    /// The engines this build has.
    public static let standard = PipelineEngines(
        vision: { location in try VisionLanguageTask(folder: location.url) },
        index: { file, model in try SearchIndexSink(file: file, embeddingModel: model) })
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
/// with `loom search --index FILE`. Transcripts come from the pipeline's transcribe step (not transcribed
/// again); captions and answers are stored as the item's caption texts. Segments are embedded by the
/// index with the embed step's model, one vector per timed segment, so search hits carry time ranges.
final class SearchIndexSink: IndexSink, @unchecked Sendable {
    private let lock = NSLock()
    private let builder: IndexBuilder
    private let transcripts: PipelineTranscripts

    init(file: URL, embeddingModel: ResolvedModel?) throws {
        guard let embeddingModel else {
            throw IndexSinkError(message: "the index step needs an embed step (with a sentence-embedding model) among its needs")
        }
        let folder = embeddingModel.location.url
        let text = try SentenceTextEmbedder(
            folder: folder, modelID: embeddingModel.location.catalogName ?? folder.lastPathComponent)
        transcripts = PipelineTranscripts()
        builder = try IndexBuilder(
            store: try IndexStore(url: file, create: true), textEmbedder: text, transcriber: transcripts,
            modelFolders: ["text": folder.path])
    }

    func upsert(_ record: IndexRecord) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let url = URL(fileURLWithPath: record.path)
        let spoken = record.texts.filter { $0.kind == .transcript }
        transcripts.set(spoken.flatMap { text in
            text.segments.isEmpty
                ? [TimedText(start: 0, end: 0, text: text.text)]
                : text.segments.map { TimedText(start: $0.start, end: $0.end, text: $0.text) }
        }.filter { !$0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }, for: url)
        defer { transcripts.clear() }
        if case .failed(let error) = try builder.index(file: url) {
            throw IndexSinkError(message: error)
        }
        for text in record.texts where text.kind != .transcript {
            let words = text.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !words.isEmpty { try builder.setCaption(words, forFileAt: url, captioner: text.source) }
        }
        return record.contentHash
    }

    func finish() throws {}
}

/// Hands the index the transcript the pipeline already made for the file being indexed.
final class PipelineTranscripts: SpeechTranscribing, @unchecked Sendable {
    let modelID = "pipeline-transcribe-step"
    private var current: (path: String, segments: [TimedText])?

    func set(_ segments: [TimedText], for url: URL) { current = (url.standardizedFileURL.path, segments) }
    func clear() { current = nil }

    func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double) {
        guard let current, current.path == url.standardizedFileURL.path else {
            throw IndexSinkError(message: "\(url.path): no transcript reached the index step; add the transcribe step to its needs")
        }
        return (current.segments, "", current.segments.last?.end ?? 0)
    }
}

struct IndexSinkError: Error, CustomStringConvertible, LocalizedError {
    let message: String
    var description: String { message }
    var errorDescription: String? { message }
}
