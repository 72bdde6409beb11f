import LoomTokenizers
import Foundation
import LoomTasks
import LoomTestSupport
import Testing

/// Readers for Tests/Fixtures/decoding/*.json, written by Scripts/reference/dump_decoding.py.
enum DecodingFixtures {
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("decoding/\(name)"))
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func specials(multilingual: Bool) throws -> (WhisperDecodingTokens, nVocab: Int) {
        let all = try json("specials.json")
        let s = try #require(all[multilingual ? "multilingual" : "english"] as? [String: Any])
        func int(_ key: String) throws -> Int { try #require(s[key] as? Int, "\(key)") }
        let specials = WhisperDecodingTokens(
            sot: try int("sot"), eot: try int("eot"), transcribe: try int("transcribe"), translate: try int("translate"),
            noTimestamps: try int("no_timestamps"), noSpeech: s["no_speech"] as? Int, sotPrev: try int("sot_prev"),
            sotLM: try int("sot_lm"), timestampBegin: try int("timestamp_begin"), multilingual: multilingual,
            languageTokens: try #require(s["language_tokens"] as? [String: Int]),
            nonSpeechTokens: try #require(s["non_speech_tokens"] as? [Int]),
            blankTokens: try #require(s["blank_tokens"] as? [Int]))
        return (specials, try int("n_vocab"))
    }

    /// The option sets of dump_decoding.py's OPTION_SETS, as Loom options.
    static func options(_ raw: [String: Any]) throws -> WhisperDecodingOptions {
        var options = WhisperDecodingOptions()
        if let v = raw["task"] as? String { options.task = try #require(WhisperTask(rawValue: v)) }
        if let v = raw["language"] as? String { options.language = v }
        if let v = raw["without_timestamps"] as? Bool { options.withoutTimestamps = v }
        if let v = raw["suppress_blank"] as? Bool { options.suppressBlank = v }
        if let v = raw["prompt"] as? [Int] { options.prompt = v }
        if raw.keys.contains("max_initial_timestamp") { options.maxInitialTimestamp = raw["max_initial_timestamp"] as? Double }
        if let v = raw["suppress_tokens"] as? String {
            options.suppressTokens = v.isEmpty ? [] : v.split(separator: ",").compactMap { Int($0) }
        } else if let v = raw["suppress_tokens"] as? [Int] {
            options.suppressTokens = v
        }
        return options
    }

    /// dump_decoding.py's `base_logits`: an exact integer hash scaled to [-4, 4) and rounded to float32 once.
    static func baseLogits(nVocab: Int, seed: Int) -> [Float] {
        let offset = UInt64(seed * 40503 + 12345)
        return (0..<nVocab).map { i in
            let x = (UInt64(i) &* 2_654_435_761 &+ offset) % (1 << 32)
            return Float(Double(x) / 4_294_967_296.0 * 8 - 4)
        }
    }
}

/// Token ids to text through a table of each token's bytes (tiktoken's `decode` joins token bytes and
/// reads them as UTF-8), with a fixed table of encodings.
struct ByteTableText: WhisperTextDecoding {
    let bytes: [Int: [UInt8]]
    let encodings: [String: [Int]]

    init(hexTable: [String: String], encodings: [String: [Int]] = [:]) {
        var bytes: [Int: [UInt8]] = [:]
        for (id, hex) in hexTable {
            let chars = Array(hex.utf8)
            bytes[Int(id)!] = stride(from: 0, to: chars.count, by: 2).map {
                UInt8(String(decoding: chars[$0..<$0 + 2], as: UTF8.self), radix: 16)!
            }
        }
        self.bytes = bytes
        self.encodings = encodings
    }

    func decode(_ ids: [Int]) -> String {
        var joined: [UInt8] = []
        for id in ids {
            guard let b = bytes[id] else {
                Issue.record("token \(id) is not in the fixture's byte table")
                continue
            }
            joined += b
        }
        return String(decoding: joined, as: UTF8.self)
    }

    func encode(_ text: String) -> [Int] {
        guard let ids = encodings[text] else {
            Issue.record("no fixture encoding for \(text.debugDescription)")
            return []
        }
        return ids
    }
}
