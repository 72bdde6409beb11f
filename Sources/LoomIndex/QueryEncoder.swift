import Foundation
import LoomMedia

/// Turns what a user searches with into query vectors: text through the text model (and an image
/// model's text tower when it has one), or an example file (`--like`) through the model that indexed
/// files of its kind.
public struct QueryEncoder {
    public let textEmbedder: any TextEmbedding
    public let imageEmbedder: (any ImageEmbedding)?
    public let transcriber: (any SpeechTranscribing)?
    public var chunker = TextChunker()

    public init(textEmbedder: any TextEmbedding, imageEmbedder: (any ImageEmbedding)? = nil,
                transcriber: (any SpeechTranscribing)? = nil) {
        self.textEmbedder = textEmbedder
        self.imageEmbedder = imageEmbedder
        self.transcriber = transcriber
    }

    /// The vectors of a text query.
    public func queries(text: String) throws -> [QueryVector] {
        var queries = [QueryVector(model: textEmbedder.modelID, vector: try embed(text))]
        if let imageEmbedder, let vector = try imageEmbedder.embed(text: text) {
            queries.append(QueryVector(model: imageEmbedder.modelID, vector: vector))
        }
        return queries
    }

    /// The vectors of an example file and its content hash (so the search can leave the file itself
    /// out): a text file's passages averaged; an audio file's transcript likewise; an image's vector.
    public func queries(like url: URL) throws -> (queries: [QueryVector], contentHash: String) {
        // Opened through InputFile: a FIFO or device is refused instead of blocking the search.
        let hash = try ContentHash.hex(reading: try InputFile.open(url))
        switch Modality(fileExtension: url.pathExtension) {
        case .text:
            return ([QueryVector(model: textEmbedder.modelID, vector: try embed(IndexBuilder.readText(url)))], hash)
        case .audio:
            guard let transcriber else {
                throw QueryError(path: url.path, reason: "searching by audio needs a speech model; pass --asr-model")
            }
            let text = try transcriber.transcribe(contentsOf: url).segments.map(\.text).joined(separator: " ")
            guard !text.isEmpty else { throw QueryError(path: url.path, reason: "no speech was found in it") }
            return ([QueryVector(model: textEmbedder.modelID, vector: try embed(text))], hash)
        case .image:
            guard let imageEmbedder else {
                throw QueryError(path: url.path, reason: "searching by image needs an image model; index with --image-model or pass it to search")
            }
            return ([QueryVector(model: imageEmbedder.modelID, vector: try imageEmbedder.embed(imageAt: url).vector)], hash)
        case nil:
            throw QueryError(path: url.path, reason: "not a file type the index reads (\(IndexBuilder.supportedExtensions))")
        }
    }

    /// One normalized vector for a text of any length: the mean of its passages' vectors.
    func embed(_ text: String) throws -> [Float] {
        var passages = chunker.chunks(text)
        if passages.isEmpty { passages = [text] }
        let vectors = try textEmbedder.embed(passages)
        try IndexBuilder.check(vectors, count: passages.count, dimension: textEmbedder.dimension, model: textEmbedder.modelID)
        var mean = [Float](repeating: 0, count: textEmbedder.dimension)
        for vector in vectors { for i in mean.indices { mean[i] += vector[i] } }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? mean.map { $0 / norm } : mean
    }
}

/// A query that cannot be encoded.
public struct QueryError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let reason: String
    public var description: String { "\(DisplayPath.escaping(path)): \(reason)" }
    public var errorDescription: String? { description }
}
