import Foundation
import LoomTestSupport
import LoomTokenizers

/// Tests/Fixtures/sentencepiece/reference.json, written by Scripts/reference/dump_sentencepiece.py from
/// sentencepiece 0.2.1 and transformers' SiglipTokenizer on tiny trained models.
struct SentencePieceReference: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let pieces: [String]
        let decoded: String
    }

    struct Decode: Decodable {
        let ids: [Int]
        let decoded: String
    }

    struct SiglipCase: Decodable {
        let text: String
        let ids: [Int]
        let text_embeds: [Float]?
    }

    struct Model: Decodable {
        let file: String
        let vocab_size: Int
        let sentencepiece: [Case]
        let decode: [Decode]
        let siglip_max_length: Int
        let siglip: [SiglipCase]
        let siglip16: [SiglipCase]?
    }

    let strings: [String]
    /// SiglipTokenizer.canonicalize_text of each string.
    let canonical: [String]
    let models: [String: Model]

    static func load() throws -> SentencePieceReference {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: Fixtures.url("sentencepiece/reference.json")))
    }

    static let modelNames = ["unigram_nfkc", "unigram_bytes", "bpe_bytes", "unigram_bytes_unused", "bpe_bytes_unused", "siglip_tiny"]

    static func tokenizer(_ name: String) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer.load(model: Fixtures.url("sentencepiece/\(name).model"))
    }
}
