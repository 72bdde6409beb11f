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
            image model (CLIP or SigLIP folder) is given, and the lines of text printed in them are read \
            (PP-OCRv4, when installed or given with --ocr-model); every file is also found by its name. Files \
            are keyed by content: unchanged files are skipped, moved files keep their vectors, and each \
            file is committed on its own, so an interrupted run is finished by running it again. A file \
            that cannot be read is recorded as failed and the others go on.
            """)

    @Argument(help: "Files or folders to index.")
    var paths: [String]

    @Option(help: "The index file (created when missing), or a PostgreSQL database: postgres://USER@HOST:PORT/DATABASE.")
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

    @Option(help: "OCR model reading the text in images (default: the index's, else pp-ocrv4 when installed; none: off).")
    var ocrModel: String?

    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        let files = try IndexBuilder.files(in: paths.map { URL(fileURLWithPath: $0) }, recursive: recursive)
        // An existing index names its models; a new one is created only once the models are found
        // and loaded, so a bad --model leaves no empty index file behind.
        let url = try indexURL(index)
        let existing: (any IndexStoring)?
        do { existing = try openIndex(url: url, access: .write) } catch IndexError.missingIndex { existing = nil }
        let models = IndexModels(settings: try existing?.settings() ?? [:], indexPath: indexLocation(url), models: Loom.models)
        let threads = compute.threads ?? ProcessInfo.processInfo.activeProcessorCount

        let loadStart = Date()
        let text = try models.textEmbedder(model)
        let image = try models.imageEmbedder(imageModel)
        let needsOCR = files.contains { Modality(fileExtension: $0.pathExtension) == .image }
        let ocr = needsOCR ? try models.textReader(ocrModel) : nil
        printErr(String(format: "models loaded in %.1f s (text %@%@%@)", Date().timeIntervalSince(loadStart), text.embedder.modelID,
                        image.map { ", image " + $0.embedder.modelID } ?? "", ocr.map { ", ocr " + $0.embedder.modelID } ?? ""))
        // Whisper loads at the first audio file that needs transcribing: a re-run over unchanged
        // files does not pay for it.
        let needsSpeech = files.contains { Modality(fileExtension: $0.pathExtension) == .audio }
        let speech = needsSpeech ? try models.lazyTranscriber(asrModel, threads: threads) { id, seconds in
            printErr(String(format: "loaded speech model %@ in %.1f s", id, seconds))
        } : nil

        let store = try existing ?? openIndex(url: url, access: .create)
        var folders = ["text": text.folder]
        if let image { folders["image"] = image.folder }
        if let speech { folders["asr"] = speech.folder }
        if let ocr { folders["ocr"] = ocr.folder }
        let builder = try IndexBuilder(store: store, textEmbedder: text.embedder, imageEmbedder: image?.embedder,
                                       transcriber: speech?.embedder, textReader: ocr?.embedder, modelFolders: folders)
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
                     Date().timeIntervalSince(started), store.url.isFileURL ? DisplayPath.of(store.url) : store.location, counts.items))
        if summary.failed > 0 { throw ExitCode.failure }
    }
}
