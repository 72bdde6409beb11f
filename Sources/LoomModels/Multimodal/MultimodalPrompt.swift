import Foundation
import LoomTensor

/// One stretch of a multimodal prompt, in order.
public enum PromptChunk: Sendable, Equatable {
    /// Token ids, which go through the language model's embedding table.
    case text([Int])
    /// Rows `rows` of `media.embeddings`, which stand in place of one run of marker tokens.
    case media(MediaEmbeddings, rows: Range<Int>)

    /// The prompt positions the chunk fills.
    public var tokenCount: Int {
        switch self {
        case let .text(ids): ids.count
        case let .media(_, rows): rows.count
        }
    }
}

/// A prompt as text and media chunks, as llama.cpp's mtmd builds it: the language model's input is text
/// token embeddings with media rows in between, so every family with an encoder + projector (images,
/// audio) shares this one splice instead of writing its own.
///
/// The family's processor expands each media marker into one marker token per row of that media item
/// (Idefics3: `<image>` x image_seq_len per tile; audio families: `<|audio|>` x frames), as transformers'
/// processors do; the tokenizer gives the ids; this splits them at the marker tokens. Rows go to marker
/// positions in order, per kind: the first image's rows fill the first `<image>` positions, across as many
/// runs as its layout has (one per Idefics3 tile), then the next image's; audio independently. Where mtmd
/// splits the text at a marker string before tokenizing, splitting the ids keeps each family's layout
/// (tile separators, begin/end tokens) in its processor, where the reference implementation has it.
public struct MultimodalPrompt: Sendable, Equatable {
    /// Text and media in prompt order; their token counts add up to `ids.count`.
    public let chunks: [PromptChunk]
    /// The prompt's token ids, marker tokens included (what the generator keeps for repetition penalties).
    public let ids: [Int]

    public var tokenCount: Int { ids.count }

    /// Splits `ids` at the `markers` tokens and gives their positions the rows of `media`, in order per kind.
    /// Throws when a kind's marker positions and rows differ in number (a marker without media, media without
    /// a marker), or when two markers share a kind or an id.
    public init(ids: [Int], markers: [MediaMarker], media: [MediaEmbeddings]) throws {
        for (i, marker) in markers.enumerated() {
            if let other = markers[..<i].first(where: { $0.kind == marker.kind || $0.id == marker.id }) {
                throw MultimodalPromptError.overlappingMarkers(other.token, marker.token)
            }
        }
        for item in media where !markers.contains(where: { $0.kind == item.kind }) {
            throw MultimodalPromptError.mediaWithoutMarker(
                kind: item.kind, marker: nil, markers: 0, items: media.count { $0.kind == item.kind }, rows: 0)
        }
        var queues: [MediaEmbeddings.Kind: [MediaEmbeddings]] = [:]
        for marker in markers {
            let items = media.filter { $0.kind == marker.kind }
            let positions = ids.count { $0 == marker.id }, rows = items.reduce(0) { $0 + $1.tokenCount }
            if positions > rows {
                throw MultimodalPromptError.markerWithoutMedia(marker: marker.token, kind: marker.kind, markers: positions, items: items.count, rows: rows)
            }
            if rows > positions {
                throw MultimodalPromptError.mediaWithoutMarker(kind: marker.kind, marker: marker.token, markers: positions, items: items.count, rows: rows)
            }
            queues[marker.kind] = items
        }

        let kindOfMarker = Dictionary(uniqueKeysWithValues: markers.map { ($0.id, $0.kind) })
        var next: [MediaEmbeddings.Kind: (item: Int, row: Int)] = [:]  // the next row to place, per kind
        var chunks: [PromptChunk] = []
        var start = 0
        while start < ids.count {
            guard let kind = kindOfMarker[ids[start]] else {
                let end = ids[start...].firstIndex { kindOfMarker[$0] != nil } ?? ids.count
                chunks.append(.text(Array(ids[start..<end])))
                start = end
                continue
            }
            // The rest of this run of markers, up to the end of the current item's rows (the counts agree,
            // so there is always an item with rows left).
            let (item, row) = next[kind] ?? (0, 0)
            let media = queues[kind, default: []][item], rowsLeft = media.tokenCount - row
            var end = start + 1
            while end < ids.count, ids[end] == ids[start], end - start < rowsLeft { end += 1 }
            let placed = end - start
            chunks.append(.media(media, rows: row..<(row + placed)))
            next[kind] = placed == rowsLeft ? (item + 1, 0) : (item, row + placed)
            start = end
        }
        self.chunks = chunks
        self.ids = ids
    }
}

/// Why the token ids and the media of a prompt do not fit together.
public enum MultimodalPromptError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The prompt has more `marker` tokens than the media of its kind give rows.
    case markerWithoutMedia(marker: String, kind: MediaEmbeddings.Kind, markers: Int, items: Int, rows: Int)
    /// The media of a kind give more rows than the prompt has markers for them (`marker` nil: the model has no
    /// marker for that kind, so it does not take it).
    case mediaWithoutMarker(kind: MediaEmbeddings.Kind, marker: String?, markers: Int, items: Int, rows: Int)
    /// Embeddings that are not (tokens, width) with at least one of each.
    case notRows(kind: MediaEmbeddings.Kind, shape: [Int])
    /// Two markers of one model share a kind or a token id.
    case overlappingMarkers(String, String)

    public var description: String {
        switch self {
        case let .markerWithoutMedia(marker, kind, markers, items, rows):
            let given = items == 0 ? "no \(kind.rawValue) was given" : "the \(Self.give(kind, items)) \(rows) embedding rows"
            return "the prompt has \(markers) \(marker) tokens but \(given); every \(marker) token takes one row, "
                + "so give one \(kind.rawValue) for each \(marker) of the prompt"
        case let .mediaWithoutMarker(kind, nil, _, items, _):
            return "\(kind.counted(items)) given, but this model takes no \(kind.rawValue); use a model that reads it"
        case let .mediaWithoutMarker(kind, marker?, markers, items, rows):
            return "the \(Self.give(kind, items)) \(rows) embedding rows but the prompt has \(markers) \(marker) tokens; "
                + "every row takes one \(marker) token, so put one \(marker) in the prompt for each \(kind.rawValue)"
        case let .notRows(kind, shape):
            return "\(kind.rawValue) embeddings must be (tokens, width) with at least one token, got \(shape)"
        case let .overlappingMarkers(first, second):
            return "the media markers \(first) and \(second) share a kind or a token id; each kind needs its own marker token"
        }
    }

    /// "1 image gives", "2 audio clips give".
    private static func give(_ kind: MediaEmbeddings.Kind, _ count: Int) -> String {
        kind.counted(count) + (count == 1 ? " gives" : " give")
    }

    public var errorDescription: String? { description }
}
