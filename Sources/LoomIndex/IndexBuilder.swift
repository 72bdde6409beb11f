import Foundation
import LoomMedia

/// What indexing one file did.
public enum IndexOutcome: Sendable, Equatable {
    /// New in the index.
    case added
    /// Its bytes (or the models asked for) changed: read and embedded again.
    case updated
    /// Same bytes and models: nothing was read or embedded.
    case unchanged
    /// The same bytes were indexed at `from`, which is gone: the item now points here, not re-embedded.
    case moved(from: String)
    /// Could not be read; recorded in the index with `error` (unsupported files are not recorded).
    case failed(error: String)
}

/// Counts for a whole run, as `loom index` prints them.
public struct IndexingSummary: Sendable, Equatable {
    public var added = 0, updated = 0, unchanged = 0, moved = 0, pruned = 0, failed = 0
    /// (path, error) of each failed file.
    public var failures: [(path: String, error: String)] = []

    public init() {}

    mutating func count(_ outcome: IndexOutcome, path: String) {
        switch outcome {
        case .added: added += 1
        case .updated: updated += 1
        case .unchanged: unchanged += 1
        case .moved: moved += 1
        case .failed(let error): failed += 1; failures.append((path, error))
        }
    }

    public static func == (a: IndexingSummary, b: IndexingSummary) -> Bool {
        (a.added, a.updated, a.unchanged, a.moved, a.pruned, a.failed) == (b.added, b.updated, b.unchanged, b.moved, b.pruned, b.failed)
            && a.failures.map(\.path) == b.failures.map(\.path)
    }
}

/// Adds files to an index, keyed by content: files whose bytes and models are unchanged are skipped
/// without model work, moved files keep their vectors, and each file is committed in its own
/// transaction, so an interrupted run loses only the file in progress and a re-run ends with the
/// same index as an uninterrupted one.
///
/// An `ImageEmbedding`, a `SpeechTranscribing` and an `ImageTextReading` are optional: without them
/// images and audio are indexed by file name (and captions) only; with a text reader, the lines
/// printed in an image are segments too.
public final class IndexBuilder {
    public let store: any IndexStoring
    public let textEmbedder: any TextEmbedding
    public let imageEmbedder: (any ImageEmbedding)?
    public let transcriber: (any SpeechTranscribing)?
    public let textReader: (any ImageTextReading)?
    public var chunker = TextChunker()

    /// Checks that the index was built with the same text and image models (vectors of different
    /// models do not compare), then records the models, with `modelFolders` (role -> folder path:
    /// "text", "image", "asr") so `loom search` can load them again.
    public init(store: any IndexStoring, textEmbedder: any TextEmbedding, imageEmbedder: (any ImageEmbedding)? = nil,
                transcriber: (any SpeechTranscribing)? = nil, textReader: (any ImageTextReading)? = nil,
                modelFolders: [String: String] = [:]) throws {
        self.store = store
        self.textEmbedder = textEmbedder
        self.imageEmbedder = imageEmbedder
        self.transcriber = transcriber
        self.textReader = textReader
        let settings = try store.settings()
        if let indexed = settings["text.model"], indexed != textEmbedder.modelID {
            throw IndexError.modelMismatch(path: store.url.path, role: "text", indexed: indexed, requested: textEmbedder.modelID)
        }
        if let imageEmbedder, let indexed = settings["image.model"], indexed != imageEmbedder.modelID {
            throw IndexError.modelMismatch(path: store.url.path, role: "image", indexed: indexed, requested: imageEmbedder.modelID)
        }
        var record = ["text.model": textEmbedder.modelID, "text.dimension": "\(textEmbedder.dimension)"]
        if let imageEmbedder { record["image.model"] = imageEmbedder.modelID }
        if let transcriber { record["asr.model"] = transcriber.modelID }
        if let textReader { record["ocr.model"] = textReader.modelID }
        for (role, folder) in modelFolders { record["\(role).path"] = folder }
        try store.setSettings(record)
    }

    /// Indexes `files` in order; `progress` gets (position, count, file, outcome) after each.
    /// Throws only what stops the whole run: `CancellationError` from a model, or a database error.
    public func index(_ files: [URL], progress: ((Int, Int, URL, IndexOutcome) -> Void)? = nil) throws -> IndexingSummary {
        var summary = IndexingSummary()
        for (position, url) in files.enumerated() {
            let outcome = try index(file: url)
            summary.count(outcome, path: url.path)
            progress?(position + 1, files.count, url, outcome)
        }
        return summary
    }

    /// Indexes one file in its own transaction.
    public func index(file url: URL) throws -> IndexOutcome {
        let url = url.standardizedFileURL
        let path = url.path
        let shown = DisplayPath.escaping(path)
        guard let modality = Modality(fileExtension: url.pathExtension) else {
            return .failed(error: "\(shown): not a file type the index reads (\(Self.supportedExtensions))")
        }
        guard let status = InputFile.status(url) else { return .failed(error: "\(shown): cannot be read: no such file") }
        // A FIFO or device is never opened: reading one blocks or never ends.
        guard status.kind == .regularFile else { return .failed(error: FileAccessError.notARegularFile(path: path).description) }
        let size = status.size
        let mtime = status.modificationTime
        let fingerprint = fingerprint(for: modality, url: url)
        let existing = try store.item(path: path)
        // Same size, time and models as last time: the bytes are taken as unchanged without reading
        // them (as make and rsync do); anything else is hashed.
        if let existing, existing.status == .ok, existing.fingerprint == fingerprint,
           existing.size == size, existing.mtime == mtime {
            return .unchanged
        }
        let hash: String
        do { hash = try ContentHash.hex(reading: try InputFile.open(url)) } catch {
            let reason = (error as? FileAccessError)?.reason ?? error.localizedDescription
            return try recordFailure(path: path, modality: modality, hash: "", size: size, mtime: mtime,
                                     fingerprint: fingerprint, error: "\(shown): cannot be read: \(reason)")
        }
        if let existing, existing.status == .ok, existing.fingerprint == fingerprint, existing.contentHash == hash {
            try store.touch(existing, size: size, mtime: mtime)
            return .unchanged
        }
        let twins = try store.items(contentHash: hash).filter {
            $0.path != path && $0.status == .ok && $0.fingerprint == fingerprint
        }
        if let gone = twins.first(where: { !InputFile.exists(path: $0.path) }) {
            try store.move(gone, to: path, size: size, mtime: mtime, filename: try renamedFilename(from: gone.path, to: url))
            return .moved(from: gone.path)
        }
        var content: ItemContent
        if let twin = twins.first {
            // A copy of an indexed file: its segments and vectors are reused; only a new name is embedded.
            content = try store.content(of: twin, textModel: textEmbedder.modelID)
            content.item.path = path
            content.item.size = size
            content.item.mtime = mtime
            if let renamed = try renamedFilename(from: twin.path, to: url) {
                content.segments.removeAll { $0.segment.kind == .filename }
                content.segments.append((renamed.segment, renamed.vector))
            }
        } else {
            let item = IndexedItem(path: path, contentHash: hash, modality: modality, size: size, mtime: mtime,
                                   metadata: "{}", status: .ok, error: nil, fingerprint: fingerprint)
            // Captions were written for these bytes; a re-index for other models keeps them.
            let captions = existing?.contentHash == hash ? try store.segments(itemId: existing!.id!).filter { $0.kind == .caption } : []
            do {
                content = try extract(item, url: url, captions: captions)
            } catch let error as CancellationError {
                throw error
            } catch let error as IndexError where { if case .database = error { true } else { false } }() {
                throw error
            } catch {
                let message = "\(error)"
                return try recordFailure(path: path, modality: modality, hash: hash, size: size, mtime: mtime, fingerprint: fingerprint,
                                         error: message.contains(DisplayPath.escaping(url.lastPathComponent)) ? message : "\(shown): \(message)")
            }
        }
        // A model's NaN or infinite output fails this file, not the run (the store refuses it too).
        if let what = content.nonFiniteValue {
            return try recordFailure(path: path, modality: modality, hash: hash, size: size, mtime: mtime, fingerprint: fingerprint,
                                     error: IndexError.nonFinite(path: path, what: what).description)
        }
        try store.replace(with: content)
        return existing == nil ? .added : .updated
    }

    /// Removes items under `roots` (folders or files) whose files are gone; returns how many.
    public func prune(under roots: [URL]) throws -> Int {
        let prefixes = roots.map { $0.standardizedFileURL.path }
        let gone = try store.allItems().filter { item in
            prefixes.contains { item.path == $0 || item.path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
                && !InputFile.exists(path: item.path)
        }
        try store.delete(itemIds: gone.compactMap(\.id))
        return gone.count
    }

    /// Stores caption text for an indexed file (an image, usually) and embeds it, replacing earlier
    /// captions by the same `captioner` (an empty caption removes them); the caption then finds the
    /// item in text searches. The same caption again embeds nothing. Captions stay with the item
    /// while its bytes are unchanged (also across moves and re-indexing for other models).
    public func setCaption(_ caption: String, forFileAt url: URL, captioner: String) throws {
        let path = url.standardizedFileURL.path
        guard let item = try store.item(path: path) else {
            throw IndexError.notIndexed(path: path, index: store.url.path)
        }
        let text = caption.trimmingCharacters(in: .whitespacesAndNewlines)
        let stored = try store.segments(itemId: item.id!).filter { $0.kind == .caption && $0.source == captioner }
        // The same caption again (a re-run of a pipeline): nothing to embed.
        if stored.map(\.text) == (text.isEmpty ? [] : [text]) { return }
        let vectors = text.isEmpty ? [] : try embedTexts([text])
        let segments = zip([text], vectors).map { text, vector in
            (IndexedSegment(itemId: item.id!, kind: .caption, ordinal: 0, text: text, source: captioner), vector)
        }
        try store.replaceSegments(of: item, kind: .caption, source: captioner, with: segments, model: textEmbedder.modelID)
    }

    /// The files a run covers: files as given (any type; `index(file:)` reports the unsupported),
    /// folders walked (one level, or all with `recursive`) for the supported types; see `MediaWalker`.
    public static func files(in paths: [URL], recursive: Bool) throws -> [URL] {
        try MediaWalker.files(in: paths, recursive: recursive, kinds: Set(MediaKind.allCases))
    }

    static var supportedExtensions: String { MediaKind.extensionList() }

    /// The models an item of `modality` is made with; a change re-indexes it.
    func fingerprint(for modality: Modality, url: URL) -> String {
        switch modality {
        case .text: "text=\(textEmbedder.modelID)"
        case .audio: "text=\(textEmbedder.modelID) asr=\(transcriber?.fingerprint(for: url) ?? "none")"
        // " ocr=..." only with a text reader, so indexes made before OCR keep their fingerprints.
        case .image: "text=\(textEmbedder.modelID) image=\(imageEmbedder?.modelID ?? "none")" + (textReader.map { " ocr=\($0.fingerprint(for: url))" } ?? "")
        }
    }

    func recordFailure(path: String, modality: Modality, hash: String, size: Int64, mtime: Double,
                       fingerprint: String, error: String) throws -> IndexOutcome {
        let item = IndexedItem(path: path, contentHash: hash, modality: modality, size: size, mtime: mtime,
                               metadata: "{}", status: .failed, error: error, fingerprint: fingerprint)
        try store.replace(with: ItemContent(item: item, textModel: textEmbedder.modelID))
        return .failed(error: error)
    }
}
