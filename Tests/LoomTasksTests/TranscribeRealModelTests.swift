import Foundation
import LoomTestSupport
import Testing
@testable import LoomTasks

/// Golden transcripts: faster-whisper on the same CTranslate2 weights, greedy, no VAD
/// (Scripts/reference/dump_transcripts.py). Texts must be equal; segment times within 0.1 s.
@Suite(.serialized) struct TranscribeRealModelTests {
    struct Golden: Decodable {
        struct Segment: Decodable { let start: Double; let end: Double; let text: String; let tokens: [Int] }
        let text: String
        let segments: [Segment]
    }

    @Test(arguments: ["whisper-tiny.en", "whisper-base"])
    func greedyMatchesFasterWhisper(model name: String) throws {
        guard let folder = InstalledModels.file(name, "model.bin")?.deletingLastPathComponent() else { return }
        let goldens = try JSONDecoder().decode(
            [String: Golden].self, from: Data(contentsOf: Fixtures.url("transcripts/\(name).json")))
        let pipeline = try WhisperPipeline(folder: folder)
        var options = WhisperTranscribeOptions()
        options.temperatures = [0]
        options.decoding.language = "en"
        for (clip, golden) in goldens.sorted(by: { $0.key < $1.key }) {
            let transcript = try pipeline.transcribe(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(clip), options: options)
            print(name, clip, "->", transcript.text)
            #expect(transcript.text == golden.text, "\(name) \(clip)")
            #expect(transcript.segments.map(\.text) == golden.segments.map(\.text))
            for (ours, theirs) in zip(transcript.segments, golden.segments) {
                #expect(abs(ours.start - theirs.start) <= 0.1 && abs(ours.end - theirs.end) <= 0.1,
                        "\(clip): \(ours.start)-\(ours.end) vs \(theirs.start)-\(theirs.end)")
            }
        }
    }
}
