/// The token ids of one text, with the post-processor's special tokens, after truncation.
public struct WordPieceEncoding: Sendable, Equatable {
    public var ids: [Int]
    /// Segment ids (token_type_ids): 0 for a single sequence under BERT's template.
    public var typeIDs: [Int]

    public init(ids: [Int], typeIDs: [Int]) {
        self.ids = ids
        self.typeIDs = typeIDs
    }
}

/// Several encodings padded on the right to the longest one, as a row-major (rows, length) matrix.
public struct WordPieceBatch: Sendable, Equatable {
    public let rows: Int
    public let length: Int
    /// (rows, length) token ids; padding holds the pad id.
    public let ids: [Int32]
    /// (rows, length) token type ids; padding holds the pad type id.
    public let typeIDs: [Int32]
    /// (rows, length): 1 for real tokens, 0 for padding.
    public let attentionMask: [Int32]

    public init(_ encodings: [WordPieceEncoding], padID: Int, padTypeID: Int) {
        rows = encodings.count
        length = encodings.map(\.ids.count).max() ?? 0
        var ids = [Int32](repeating: Int32(truncatingIfNeeded: padID), count: rows * length)
        var typeIDs = [Int32](repeating: Int32(truncatingIfNeeded: padTypeID), count: rows * length)
        var mask = [Int32](repeating: 0, count: rows * length)
        for (r, encoding) in encodings.enumerated() {
            for (t, id) in encoding.ids.enumerated() {
                ids[r * length + t] = Int32(truncatingIfNeeded: id)
                typeIDs[r * length + t] = Int32(truncatingIfNeeded: encoding.typeIDs[t])
                mask[r * length + t] = 1
            }
        }
        self.ids = ids
        self.typeIDs = typeIDs
        self.attentionMask = mask
    }
}
