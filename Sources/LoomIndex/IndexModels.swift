import Foundation
import LoomModelStore
import LoomModels
import LoomTasks

/// The models of an index: an option when given, else the model the index was built with, else the
/// default. The model id stored with vectors is the catalog name, or the folder's name.
///
/// `loom index`, `loom search` and `loom serve` find an index's models here, loaded through the
/// process's `SharedModels`.
public struct IndexModels: Sendable {
    public let settings: [String: String]
    public let indexPath: String
    public let models: SharedModels

    public init(settings: [String: String], indexPath: String, models: SharedModels) {
        (self.settings, self.indexPath, self.models) = (settings, indexPath, models)
    }

    public struct Loaded<Embedder> {
        public let embedder: Embedder
        public let folder: String
    }

    /// (id, folder) for a role, or nil when the role has no option, no recorded model and no default.
    public func locate(_ role: String, option: String?, defaultName: String?) throws -> (id: String, folder: URL)? {
        if let option {
            let location = try ModelLocator().locate(option)
            return (location.catalogName ?? location.url.lastPathComponent, location.url)
        }
        if let id = settings["\(role).model"] {
            if let path = settings["\(role).path"], FileManager.default.fileExists(atPath: path) {
                return (id, URL(fileURLWithPath: path))
            }
            do { return (id, try ModelLocator().locate(id).url) } catch {
                throw IndexError.modelUnavailable(path: indexPath, role: role, reason: "\(id): \(error)")
            }
        }
        guard let defaultName else { return nil }
        let location = try ModelLocator().locate(defaultName)
        return (defaultName, location.url)
    }

    public func textEmbedder(_ option: String?) throws -> Loaded<SentenceTextEmbedder> {
        let (id, folder) = try locate("text", option: option, defaultName: "minilm-l6-v2")!
        return Loaded(embedder: SentenceTextEmbedder(embedder: try models.sentenceEmbedder(at: folder), modelID: id), folder: folder.path)
    }

    public func imageEmbedder(_ option: String?) throws -> Loaded<DualEncoderImageEmbedder>? {
        guard let (id, folder) = try locate("image", option: option, defaultName: nil) else { return nil }
        return Loaded(embedder: try DualEncoderImageEmbedder(folder: folder, modelID: id, load: models.dualEncoder(at:)), folder: folder.path)
    }

    /// The OCR model that reads the text printed in images: the option ("none" turns it off), else
    /// the index's, else pp-ocrv4 when it is installed, else none.
    public func textReader(_ option: String?) throws -> Loaded<PPOCRTextReader>? {
        if option == "none" { return nil }
        let found = try locate("ocr", option: option, defaultName: nil)
            ?? (try? ModelLocator().locate(Self.defaultTextReader)).map { (Self.defaultTextReader, $0.url) }
        guard let (id, folder) = found else { return nil }
        return Loaded(embedder: PPOCRTextReader(reader: try models.textReader(at: folder), modelID: id), folder: folder.path)
    }

    public static let defaultTextReader = "pp-ocrv4"

    /// The speech model's id and folder now, the model itself at its first use (`onLoad` gets its
    /// id and load seconds then).
    public func lazyTranscriber(_ option: String?, threads: Int, onLoad: @escaping (String, Double) -> Void = { _, _ in }) throws -> Loaded<LazyTranscriber> {
        let (id, folder) = try locate("asr", option: option, defaultName: "whisper-base")!
        let lazy = LazyTranscriber(modelID: id) {
            let start = Date()
            let loaded = try makeTranscriber(id: id, folder: folder, threads: threads)
            onLoad(id, Date().timeIntervalSince(start))
            return loaded
        }
        return Loaded(embedder: lazy, folder: folder.path)
    }

    public func transcriber(_ option: String?, threads: Int) throws -> Loaded<WhisperSpeechTranscriber> {
        let (id, folder) = try locate("asr", option: option, defaultName: "whisper-base")!
        return Loaded(embedder: try makeTranscriber(id: id, folder: folder, threads: threads), folder: folder.path)
    }

    public func makeTranscriber(id: String, folder: URL, threads: Int) throws -> WhisperSpeechTranscriber {
        // Silero VAD, when installed, skips silence in audio over 30 s as `loom transcribe` does.
        let vad = try? models.voiceActivity(at: try ModelLocator().locate("silero-vad").url)
        return WhisperSpeechTranscriber(pipeline: try models.whisper(at: folder, threads: threads), modelID: id, vad: vad)
    }
}

/// A transcriber that loads its model when first asked to transcribe.
public final class LazyTranscriber: SpeechTranscribing {
    public let modelID: String
    private let load: () throws -> WhisperSpeechTranscriber
    private var loaded: WhisperSpeechTranscriber?

    init(modelID: String, load: @escaping () throws -> WhisperSpeechTranscriber) {
        self.modelID = modelID
        self.load = load
    }

    public func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double) {
        if loaded == nil { loaded = try load() }
        return try loaded!.transcribe(contentsOf: url)
    }
}
