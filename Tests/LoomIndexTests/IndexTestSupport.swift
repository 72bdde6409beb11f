import Foundation
import GRDB
@testable import LoomIndex
import LoomMedia

/// A deterministic stand-in for MiniLM: each lowercase word hashes (FNV-1a) to a signed bucket of a
/// 64-d vector, normalized. Texts sharing words score high, so searches have a known answer. Counts
/// every text it embeds; `failAfter` throws CancellationError at that call, like a killed run.
final class HashingTextEmbedder: TextEmbedding, @unchecked Sendable {
    let modelID: String
    let dimension = 64
    private(set) var embedded: [String] = []
    private(set) var calls = 0
    var failAfter: Int?

    init(modelID: String = "hashing-64") { self.modelID = modelID }

    func embed(_ texts: [String]) throws -> [[Float]] {
        calls += 1
        if let failAfter, calls > failAfter { throw CancellationError() }
        embedded += texts
        return texts.map(Self.vector)
    }

    static func vector(_ text: String) -> [Float] {
        var v = [Float](repeating: 0, count: 64)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            v[Int(hash % 64)] += (hash >> 32) & 1 == 0 ? 1 : -1
        }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : { var e = v; e[0] = 1; return e }()
    }
}

/// A stand-in transcriber: decodes the audio for real (so corrupt files fail as they would) and
/// returns one segment per 2 seconds with fixed words.
final class FakeTranscriber: SpeechTranscribing, @unchecked Sendable {
    let modelID = "fake-asr"
    private(set) var calls = 0

    func transcribe(contentsOf url: URL) throws -> (segments: [TimedText], language: String, duration: Double) {
        calls += 1
        let audio = try AudioDecoder().decode(contentsOf: url)
        let segments = stride(from: 0.0, to: audio.duration, by: 2.0).map {
            TimedText(start: $0, end: min($0 + 2, audio.duration), text: "spoken words at second \(Int($0))")
        }
        return (segments, "en", audio.duration)
    }
}

/// Everything an index holds, without row ids, in a stable order: two indexes with equal snapshots
/// hold the same items, segments and vectors.
struct IndexSnapshot: Equatable {
    var items: [String]
    var segments: [String]
    var vectors: [String]

    init(_ store: SQLiteIndexStore) throws {
        (items, segments, vectors) = try store.read { db in
            let items = try Row.fetchAll(db, sql: """
                SELECT path, contentHash, modality, size, metadata, status, error, fingerprint FROM items ORDER BY path
                """).map { "\($0)" }
            let segments = try Row.fetchAll(db, sql: """
                SELECT i.path, s.kind, s.ordinal, s.start, s."end", s.text, s.source
                FROM segments s JOIN items i ON i.id = s.itemId ORDER BY i.path, s.kind, s.ordinal
                """).map { "\($0)" }
            let vectors = try Row.fetchAll(db, sql: """
                SELECT i.path, s.kind, s.ordinal, v.model, v.dimension, hex(v.embedding) AS e
                FROM vectors v JOIN items i ON i.id = v.itemId LEFT JOIN segments s ON s.id = v.segmentId
                ORDER BY i.path, s.kind, s.ordinal, v.model
                """).map { "\($0)" }
            return (items, segments, vectors)
        }
    }
}

/// Writes a small text corpus with known content into `folder`.
func writeTexts(_ folder: URL, _ files: [String: String]) throws {
    for (name, text) in files {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

let sampleTexts = [
    "garden.md": "# Tomatoes\n\nTomatoes need full sun and regular watering. Stake the plants early.\n\nPrune the side shoots every week.",
    "engine.txt": "The diesel engine needs an oil change every ten thousand kilometres. Check the coolant level monthly.",
    "notes/recipe.txt": "Bake the bread at two hundred degrees for forty minutes, then let it cool on a rack.",
]

/// A stand-in OCR model: decodes the image for real (so corrupt files fail as they would) and
/// returns fixed lines.
final class FakeTextReader: ImageTextReading, @unchecked Sendable {
    let modelID: String
    let lines: [String]
    private(set) var calls = 0

    init(modelID: String = "fake-ocr", lines: [String] = ["FRESH COFFEE", "open daily 7 to 19"]) {
        (self.modelID, self.lines) = (modelID, lines)
    }

    func lines(inImageAt url: URL) throws -> [String] {
        calls += 1
        _ = try ImageDecoder().decode(contentsOf: url)
        return lines
    }
}
