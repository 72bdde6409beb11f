import Foundation
import LoomMedia

/// Reading one file into segments and vectors, per modality.
extension IndexBuilder {
    /// Reads and embeds a file: text -> passages; audio -> timed transcript segments; image -> an
    /// image vector and the lines of text printed in it. Every item also gets its file name as a segment, and keeps `captions`.
    func extract(_ item: IndexedItem, url: URL, captions: [IndexedSegment]) throws -> ItemContent {
        var item = item
        var segments: [IndexedSegment] = []
        var itemVectors: [(model: String, vector: [Float])] = []
        var metadata: [String: Any] = [:]
        func segment(_ kind: SegmentKind, _ ordinal: Int, _ text: String, start: Double? = nil, end: Double? = nil,
                     source: String? = nil) -> IndexedSegment {
            IndexedSegment(itemId: 0, kind: kind, ordinal: ordinal, start: start, end: end, text: text, source: source)
        }
        switch item.modality {
        case .text:
            let text = try Self.readText(url)
            let chunks = chunker.chunks(text)
            segments = chunks.enumerated().map { segment(.chunk, $0.offset, $0.element) }
            metadata["words"] = text.split(whereSeparator: \.isWhitespace).count
        case .audio:
            if let transcriber {
                let result = try transcriber.transcribe(contentsOf: url)
                segments = result.segments.enumerated().map {
                    segment(.transcript, $0.offset, $0.element.text, start: $0.element.start, end: $0.element.end,
                            source: transcriber.modelID)
                }
                if result.duration.isFinite { metadata["duration"] = result.duration }  // JSON has no NaN or infinity
                metadata["language"] = result.language
            } else {
                // Without a speech model the file is still checked, so a corrupt one is reported.
                let info = try AudioDecoder.probe(url)
                if let duration = info.duration, duration.isFinite { metadata["duration"] = duration }
            }
        case .image:
            if let imageEmbedder {
                let (vector, width, height) = try imageEmbedder.embed(imageAt: url)
                try Self.check([vector], count: 1, dimension: nil, model: imageEmbedder.modelID)
                itemVectors.append((imageEmbedder.modelID, vector))
                (metadata["width"], metadata["height"]) = (width, height)
            } else {
                let image = try ImageDecoder().decode(contentsOf: url)
                (metadata["width"], metadata["height"]) = (image.width, image.height)
            }
            if let textReader {
                segments = try textReader.lines(inImageAt: url).enumerated().map { segment(.ocr, $0.offset, $0.element, source: textReader.modelID) }
            }
        }
        segments += captions.map { segment(.caption, $0.ordinal, $0.text, source: $0.source) }
        segments.append(segment(.filename, 0, Self.filenameText(url)))
        let vectors = try embedTexts(segments.map(\.text))
        let data = try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])
        item.metadata = String(decoding: data, as: UTF8.self)
        return ItemContent(item: item, segments: Array(zip(segments, vectors.map { Optional($0) })),
                           itemVectors: itemVectors, textModel: textEmbedder.modelID)
    }

    /// The text embedder's vectors, checked for count and size (a bad vector would poison searches).
    func embedTexts(_ texts: [String]) throws -> [[Float]] {
        let vectors = try textEmbedder.embed(texts)
        try Self.check(vectors, count: texts.count, dimension: textEmbedder.dimension, model: textEmbedder.modelID)
        return vectors
    }

    static func check(_ vectors: [[Float]], count: Int, dimension: Int?, model: String) throws {
        guard vectors.count == count else {
            throw IndexError.badEmbedding(model: model, reason: "returned \(vectors.count) vectors for \(count) inputs")
        }
        for vector in vectors {
            guard !vector.isEmpty, dimension == nil || vector.count == dimension else {
                throw IndexError.badEmbedding(model: model, reason: "returned a vector of size \(vector.count), expected \(dimension ?? 1)")
            }
            guard vector.allSatisfy(\.isFinite) else {
                throw IndexError.badEmbedding(model: model, reason: "returned a vector with NaN or infinite values")
            }
        }
    }

    /// The file-name segment and its vector when a move or copy changed the name, else nil.
    func renamedFilename(from oldPath: String, to url: URL) throws -> (segment: IndexedSegment, vector: [Float], model: String)? {
        let text = Self.filenameText(url)
        guard text != Self.filenameText(URL(fileURLWithPath: oldPath)) else { return nil }
        let vector = try embedTexts([text])[0]
        return (IndexedSegment(itemId: 0, kind: .filename, ordinal: 0, text: text), vector, textEmbedder.modelID)
    }

    /// The file name as words: "team_meeting-2024.03.wav" -> "team meeting 2024 03". Only the name,
    /// not the folders, so a file moved between folders keeps its vectors.
    static func filenameText(_ url: URL) -> String {
        let stem = url.deletingPathExtension().lastPathComponent
        let words = stem.split(whereSeparator: { "_-.+ ".contains($0) })
        return words.isEmpty ? stem : words.joined(separator: " ")
    }

    /// UTF-8 text (with or without a byte-order mark); other bytes are an error naming the file.
    static func readText(_ url: URL) throws -> String {
        let data = try InputFile.contents(url)
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(data: bytes, encoding: .utf8), !text.contains("\0") else {
            throw TextFileError(path: url.path)
        }
        return text
    }
}

/// A text file that is not UTF-8 text.
struct TextFileError: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(DisplayPath.escaping(path)): not UTF-8 text (binary or another encoding); convert it to UTF-8 to index it" }
}
