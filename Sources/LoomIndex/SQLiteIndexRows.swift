import Foundation
internal import GRDB

// The SQLite backend's GRDB records, one per table. They stay inside the backend: the seam's
// records (`IndexedItem`, `IndexedSegment`) are plain values, converted here.

/// A row of `items`.
struct ItemRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "items"
    var id: Int64?
    var path: String
    var contentHash: String
    var modality: String
    var size: Int64
    var mtime: Double
    var metadata: String
    var status: String
    var error: String?
    var fingerprint: String

    init(_ item: IndexedItem) {
        (id, path, contentHash, modality, size, mtime) = (item.id, item.path, item.contentHash, item.modality.rawValue, item.size, item.mtime)
        (metadata, status, error, fingerprint) = (item.metadata, item.status.rawValue, item.error, item.fingerprint)
    }

    /// An unknown modality reads as text and an unknown status as failed, as a search always did.
    var item: IndexedItem {
        IndexedItem(id: id, path: path, contentHash: contentHash, modality: Modality(rawValue: modality) ?? .text, size: size,
                    mtime: mtime, metadata: metadata, status: ItemStatus(rawValue: status) ?? .failed, error: error,
                    fingerprint: fingerprint)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `segments`.
struct SegmentRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "segments"
    var id: Int64?
    var itemId: Int64
    var kind: String
    var ordinal: Int
    var start: Double?
    var end: Double?
    var text: String
    var source: String?

    init(_ segment: IndexedSegment, itemId: Int64) {
        (id, self.itemId, kind, ordinal) = (segment.id, itemId, segment.kind.rawValue, segment.ordinal)
        (start, end, text, source) = (segment.start, segment.end, segment.text, segment.source)
    }

    /// An unknown kind (a newer Loom's) reads as a chunk of text.
    var segment: IndexedSegment {
        IndexedSegment(id: id, itemId: itemId, kind: SegmentKind(rawValue: kind) ?? .chunk, ordinal: ordinal, start: start,
                       end: end, text: text, source: source)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `vectors`: one embedding, of a segment's text or of the whole item (an image).
struct VectorRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "vectors"
    var id: Int64?
    var itemId: Int64
    var segmentId: Int64?
    var model: String
    var dimension: Int
    /// `dimension` float32 values, little-endian.
    var embedding: Data

    init(itemId: Int64, segmentId: Int64?, model: String, vector: [Float]) {
        self.itemId = itemId
        self.segmentId = segmentId
        self.model = model
        dimension = vector.count
        embedding = vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    var floats: [Float] {
        var result = [Float](repeating: 0, count: embedding.count / MemoryLayout<Float>.size)
        result.withUnsafeMutableBytes { out in _ = embedding.copyBytes(to: out) }
        return result
    }
}
