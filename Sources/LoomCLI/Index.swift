import ArgumentParser
import Foundation
import LoomIndex
import LoomMedia
import LoomModelStore
import LoomModels
import LoomTasks

/// `loom index`: adds images, audio and text files to a search index file.
struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add images, audio and text files to a search index (for `loom search`).",
        discussion: """
            Audio is transcribed (Whisper) and each timed segment embedded; text and Markdown files are \
            cut into passages of about 200 words and embedded; images get an image embedding when an \
            image model (CLIP or SigLIP folder) is given; every file is also found by its name. Files \
            are keyed by content: unchanged files are skipped, moved files keep their vectors, and each \
            file is committed on its own, so an interrupted run is finished by running it again. A file \
            that cannot be read is recorded as failed and the others go on.
            """)

    @Argument(help: "Files or folders to index.")
    var paths: [String]

    @Option(help: "The index file (created when missing).")
    var index = SQLiteIndexStore.defaultFileName

    @Flag(name: .shortAndLong, help: "Descend into sub-folders.")
    var recursive = false

    @Flag(help: "Remove items under the given folders whose files are gone.")
    var prune = false

    @Option(help: "Text embedding model: a catalog name or folder (default: the index's, else minilm-l6-v2).")
    var model: String?

    @Option(help: "Speech model for audio: a catalog name or folder (default: the index's, else whisper-base).")
    var asrModel: String?

    @Option(help: "CLIP or SigLIP model folder for image embeddings (default: the index's, else none).")
    var imageModel: String?

    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        let files = try IndexBuilder.files(in: paths.map { URL(fileURLWithPath: $0) }, recursive: recursive)
        // An existing index names its models; a new one is created only once the models are found
        // and loaded, so a bad --model leaves no empty index file behind.
        let indexURL = URL(fileURLWithPath: index)
        let existing = FileManager.default.fileExists(atPath: indexURL.path) ? try openIndex(url: indexURL, access: .write) : nil
        let models = IndexModels(settings: try existing?.settings() ?? [:], indexPath: indexURL.standardizedFileURL.path)
        let threads = compute.threads ?? ProcessInfo.processInfo.activeProcessorCount

        let loadStart = Date()
        let text = try models.textEmbedder(model)
        let image = try models.imageEmbedder(imageModel)
        printErr(String(format: "models loaded in %.1f s (text %@%@)", Date().timeIntervalSince(loadStart), text.embedder.modelID,
                        image.map { ", image " + $0.embedder.modelID } ?? ""))
        // Whisper loads at the first audio file that needs transcribing: a re-run over unchanged
        // files does not pay for it.
        let needsSpeech = files.contains { Modality(fileExtension: $0.pathExtension) == .audio }
        let speech = needsSpeech ? try models.lazyTranscriber(asrModel, threads: threads) : nil

        let store = try existing ?? openIndex(url: indexURL, access: .create)
        var folders = ["text": text.folder]
        if let image { folders["image"] = image.folder }
        if let speech { folders["asr"] = speech.folder }
        let builder = try IndexBuilder(store: store, textEmbedder: text.embedder, imageEmbedder: image?.embedder,
                                       transcriber: speech?.embedder, modelFolders: folders)
        let started = Date()
        var summary = try builder.index(files) { position, count, url, outcome in
            let name = DisplayPath.of(url)
            switch outcome {
            case .failed(let error): printErr("[\(position)/\(count)] error: \(error)")
            case .moved(let from): printErr("[\(position)/\(count)] \(name): moved from \(DisplayPath.of(URL(fileURLWithPath: from)))")
            default: printErr("[\(position)/\(count)] \(name): \(outcome)")
            }
        }
        if prune {
            summary.pruned = try builder.prune(under: paths.map { URL(fileURLWithPath: $0) })
        }
        let counts = try store.counts()
        print(String(format: "%d added, %d updated, %d unchanged, %d moved, %d pruned, %d failed in %.1f s; %@ holds %d items",
                     summary.added, summary.updated, summary.unchanged, summary.moved, summary.pruned, summary.failed,
                     Date().timeIntervalSince(started), DisplayPath.of(store.url), counts.items))
        if summary.failed > 0 { throw ExitCode.failure }
    }
}

/// The models of an index: an option when given, else the model the index was built with, else the
/// default. The model id stored with vectors is the catalog name, or the folder's name.
struct IndexModels {
    let settings: [String: String]
    let indexPath: String

    struct Loaded<Embedder> {
        let embedder: Embedder
        let folder: String
    }

    /// (id, folder) for a role, or nil when the role has no option, no recorded model and no default.
    func locate(_ role: String, option: String?, defaultName: String?) throws -> (id: String, folder: URL)? {
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

    func textEmbedder(_ option: String?) throws -> Loaded<SentenceTextEmbedder> {
        let (id, folder) = try locate("text", option: option, defaultName: "minilm-l6-v2")!
        return Loaded(embedder: SentenceTextEmbedder(embedder: try Loom.models.sentenceEmbedder(at: folder), modelID: id), folder: folder.path)
    }

    func imageEmbedder(_ option: String?) throws -> Loaded<DualEncoderImageEmbedder>? {
        guard let (id, folder) = try locate("image", option: option, defaultName: nil) else { return nil }
        return Loaded(embedder: try DualEncoderImageEmbedder(folder: folder, modelID: id, load: Loom.models.dualEncoder(at:)), folder: folder.path)
    }

    /// The speech model's id and folder now, the model itself at its first use.
    func lazyTranscriber(_ option: String?, threads: Int) throws -> Loaded<LazyTranscriber> {
        let (id, folder) = try locate("asr", option: option, defaultName: "whisper-base")!
        let lazy = LazyTranscriber(modelID: id) {
            let start = Date()
            let loaded = try makeTranscriber(id: id, folder: folder, threads: threads)
            printErr(String(format: "loaded speech model %@ in %.1f s", id, Date().timeIntervalSince(start)))
            return loaded
        }
        return Loaded(embedder: lazy, folder: folder.path)
    }

    func transcriber(_ option: String?, threads: Int) throws -> Loaded<WhisperSpeechTranscriber> {
        let (id, folder) = try locate("asr", option: option, defaultName: "whisper-base")!
        return Loaded(embedder: try makeTranscriber(id: id, folder: folder, threads: threads), folder: folder.path)
    }

    func makeTranscriber(id: String, folder: URL, threads: Int) throws -> WhisperSpeechTranscriber {
        // Silero VAD, when installed, skips silence in audio over 30 s as `loom transcribe` does.
        let vad = try? Loom.models.voiceActivity(at: try ModelLocator().locate("silero-vad").url)
        return WhisperSpeechTranscriber(pipeline: try Loom.models.whisper(at: folder, threads: threads), modelID: id, vad: vad)
    }
}

/// A transcriber that loads its model when first asked to transcribe.
final class LazyTranscriber: SpeechTranscribing {
    let modelID: String
    private let load: () throws -> WhisperSpeechTranscriber
    private var loaded: WhisperSpeechTranscriber?

    init(modelID: String, load: @escaping () throws -> WhisperSpeechTranscriber) {
        self.modelID = modelID
        self.load = load
    }

    func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double) {
        if loaded == nil { loaded = try load() }
        return try loaded!.transcribe(contentsOf: url)
    }
}
