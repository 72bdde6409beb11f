import Foundation
import LoomMedia

/// What kind of media an item is; decides how it is read and embedded. The index's name for
/// LoomMedia's `MediaKind` (one enum and one extension table for every command), stored in the
/// `modality` column as its raw value.
public typealias Modality = MediaKind

/// Whether an item was read and embedded, or failed (with the error kept for the user).
public enum ItemStatus: String, Codable, Sendable {
    case ok, failed
}

/// Where a segment's text came from.
public enum SegmentKind: String, Codable, Sendable, CaseIterable {
    /// A timed stretch of an audio transcript.
    case transcript
    /// A passage of a text file.
    case chunk
    /// A caption written for an image by a captioning model.
    case caption
    /// The file name, so every item can be found by it.
    case filename
    /// A line of text printed in an image, read by OCR (PP-OCR).
    case ocr
}

/// One file in the index. A plain value: each backend maps it to its own rows.
public struct IndexedItem: Codable, Sendable, Equatable {
    public var id: Int64?
    /// Absolute, standardized path.
    public var path: String
    /// Lowercase hex SHA-256 of the file's bytes.
    public var contentHash: String
    public var modality: Modality
    public var size: Int64
    /// Modification time, seconds since 1970.
    public var mtime: Double
    /// A JSON object: duration and language for audio, width and height for images, words for text.
    public var metadata: String
    public var status: ItemStatus
    public var error: String?
    /// The models that made this item's segments and vectors; a change re-indexes the item.
    public var fingerprint: String

    public init(id: Int64? = nil, path: String, contentHash: String, modality: Modality, size: Int64, mtime: Double,
                metadata: String = "{}", status: ItemStatus = .ok, error: String? = nil, fingerprint: String) {
        (self.id, self.path, self.contentHash, self.modality, self.size, self.mtime) = (id, path, contentHash, modality, size, mtime)
        (self.metadata, self.status, self.error, self.fingerprint) = (metadata, status, error, fingerprint)
    }

    public var url: URL { URL(fileURLWithPath: path) }
}

/// A piece of searchable text of an item.
public struct IndexedSegment: Codable, Sendable, Equatable {
    public var id: Int64?
    public var itemId: Int64
    public var kind: SegmentKind
    /// Order within the item (per kind).
    public var ordinal: Int
    /// Seconds into the audio, for transcript segments.
    public var start: Double?
    public var end: Double?
    public var text: String
    /// The model that wrote the text (ASR or captioning model), when a model did.
    public var source: String?

    public init(id: Int64? = nil, itemId: Int64 = 0, kind: SegmentKind, ordinal: Int, start: Double? = nil, end: Double? = nil,
                text: String, source: String? = nil) {
        (self.id, self.itemId, self.kind, self.ordinal, self.start, self.end) = (id, itemId, kind, ordinal, start, end)
        (self.text, self.source) = (text, source)
    }
}

/// An item's content before it is stored: the item row, its segments with their text embeddings,
/// and embeddings of the whole item (images).
public struct ItemContent: Sendable {
    public var item: IndexedItem
    public var segments: [(segment: IndexedSegment, vector: [Float]?)]
    public var itemVectors: [(model: String, vector: [Float])]
    /// The model id of the segment vectors.
    public var textModel: String

    public init(item: IndexedItem, segments: [(segment: IndexedSegment, vector: [Float]?)] = [],
                itemVectors: [(model: String, vector: [Float])] = [], textModel: String) {
        self.item = item
        self.segments = segments
        self.itemVectors = itemVectors
        self.textModel = textModel
    }
}

extension ItemContent {
    /// The first time or vector that is NaN or infinite, described for an error message, or nil.
    var nonFiniteValue: String? {
        for (segment, vector) in segments {
            let name = "\(segment.kind.rawValue) segment \(segment.ordinal)"
            if let start = segment.start, !start.isFinite { return "the start time of \(name) (\(start))" }
            if let end = segment.end, !end.isFinite { return "the end time of \(name) (\(end))" }
            if let vector, !vector.allSatisfy(\.isFinite) { return "the vector of \(name)" }
        }
        for (model, vector) in itemVectors where !vector.allSatisfy(\.isFinite) { return "the \(model) vector" }
        return nil
    }
}
