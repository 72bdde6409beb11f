import Foundation
import LoomTestSupport
import LoomTokenizers
import Testing

/// Expected outputs dumped by Scripts/reference/dump_tokenizers.py, and the real tokenizers they
/// came from (installed models; a missing model skips, or fails under LOOM_REQUIRE_MODELS=1).
enum TokenizerFixtures {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let decoded: String
        let decoded_skip_special: String
        /// SmolLM2 only: ids with the original pre-tokenizer (digits isolated), as llama.cpp splits.
        let ids_digits_split: [Int]?
    }

    struct Partial: Decodable {
        let ids: [Int]
        let decoded: String
    }

    struct TemplateCase: Decodable {
        let messages: [[String: String]]
        let add_generation_prompt: Bool
        let rendered: String
    }

    struct SmolLM: Decodable {
        let vocab_size: Int
        let bos_token_id: Int?
        let eos_token_id: Int?
        let cases: [Case]
        let partial: [Partial]
        let templates: [TemplateCase]
    }

    struct Whisper: Decodable {
        struct Reference: Decodable {
            let specials: [String: Int]
            let languages: [String: Int]
            let timestamp_begin: Int
            let non_speech_tokens: [Int]
        }
        struct WithSpecials: Decodable {
            let text: String
            let ids: [Int]
        }
        struct StartSequence: Decodable {
            let language: String?
            let task: String?
            let sot_sequence: [Int]
            let including_notimestamps: [Int]
        }
        struct WithTimestamps: Decodable {
            let ids: [Int]
            let decoded: String
            let decoded_text: String
        }
        let cases: [Case]
        let partial: [Partial]
        let with_special_tokens: [WithSpecials]
        let sot_sequences: [StartSequence]
        let with_timestamps: WithTimestamps
        let openai_whisper: Reference
    }

    struct PreTokenize: Decodable {
        let patterns: [String: String]
        let cases: [[String: PieceOrText]]
    }

    enum PieceOrText: Decodable {
        case text(String), pieces([String])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .text(text) } else { self = .pieces(try container.decode([String].self)) }
        }
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: Fixtures.url("tokenizers/\(name)")))
    }

    /// The installed model folder, or nil after printing why the test skips.
    static func model(_ name: String) -> URL? {
        if let folder = InstalledModels.folder(name) { return folder }
        if InstalledModels.required {
            Issue.record("model \(name) is not installed (run `loom models pull \(name)`)")
        } else {
            print("skipping: model \(name) is not installed under \(InstalledModels.home.path)")
        }
        return nil
    }

    static func smolLM() throws -> Tokenizer? {
        guard let folder = model("smollm2-135m-instruct") else { return nil }
        return try loaded.get(folder.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")) {
            try Tokenizer.load(gguf: $0)
        }
    }

    static func whisper(_ name: String) throws -> Tokenizer? {
        guard let folder = model(name) else { return nil }
        return try loaded.get(folder.appendingPathComponent("tokenizer.json")) { try Tokenizer.load(tokenizerJSON: $0) }
    }

    /// Each real tokenizer is loaded once for all tests (tests run in parallel; loading is the slow part).
    static let loaded = LoadedTokenizers()

    final class LoadedTokenizers: @unchecked Sendable {
        private var tokenizers: [URL: Tokenizer] = [:]
        private let lock = NSLock()

        func get(_ url: URL, load: (URL) throws -> Tokenizer) throws -> Tokenizer {
            lock.lock()
            defer { lock.unlock() }
            if let tokenizer = tokenizers[url] { return tokenizer }
            let tokenizer = try load(url)
            tokenizers[url] = tokenizer
            return tokenizer
        }
    }
}
