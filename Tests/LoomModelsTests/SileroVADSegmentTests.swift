import Foundation
import LoomModels
import LoomTestSupport
import Testing

/// The get_speech_timestamps state machine on the reference's own probabilities: no model noise, so
/// the segments must equal silero-vad's sample for sample, for every clip and option set.
@Suite struct SileroVADSegmentTests {
    @Test func segmentsFromReferenceProbabilities() throws {
        let reference = try SileroVADReference.load()
        var checked = 0
        for (clip, entry) in reference.clips.sorted(by: { $0.key < $1.key }) {
            for (name, expected) in entry.from_probs.sorted(by: { $0.key < $1.key }) {
                let options = try #require(SileroVADTestSupport.options(name), "unknown option set \(name)")
                let segments = try SileroVAD.speechSegments(
                    probabilities: entry.probabilities, audioLength: entry.samples, options: options)
                #expect(segments.map(\.span) == expected, "\(clip) / \(name)")
                checked += 1
            }
        }
        #expect(checked == 25)
        // The max-speech option sets must actually split jfk's 2+ s segments, or they test nothing new.
        let jfk = try #require(reference.clips["jfk.wav"])
        #expect(jfk.from_probs["max_speech_2s"]!.count > jfk.from_probs["default"]!.count)
    }

    @Test func noProbabilitiesNoSegments() throws {
        #expect(try SileroVAD.speechSegments(probabilities: [], audioLength: 0).isEmpty)
        #expect(try SileroVAD.speechSegments(probabilities: [0.1, 0.2], audioLength: 1024).isEmpty)
    }

    /// Speech to the end of the audio closes at the audio's length (plus no padding past it).
    @Test func speechRunningToTheEnd() throws {
        let probabilities = [Float](repeating: 0, count: 4) + [Float](repeating: 0.9, count: 20)
        let segments = try SileroVAD.speechSegments(probabilities: probabilities, audioLength: 24 * 512 - 100)
        #expect(segments == [SpeechSegment(startSample: 4 * 512 - 480, endSample: 24 * 512 - 100)])
        #expect(segments[0].start == Double(4 * 512 - 480) / 16_000)
    }

    @Test func invalidOptionsAreNamed() throws {
        var options = SileroVAD.SegmentOptions()
        options.threshold = 1.5
        #expect(throws: SileroVADError.invalidOption("threshold 1.5 is not in 0...1")) {
            try SileroVAD.speechSegments(probabilities: [0.9], audioLength: 512, options: options)
        }
        options = SileroVAD.SegmentOptions()
        options.speechPadMs = -1
        #expect(throws: SileroVADError.self) { try SileroVAD.speechSegments(probabilities: [0.9], audioLength: 512, options: options) }
        options = SileroVAD.SegmentOptions()
        options.maxSpeechDurationSeconds = .nan
        #expect(throws: SileroVADError.self) { try SileroVAD.speechSegments(probabilities: [0.9], audioLength: 512, options: options) }
        #expect(throws: SileroVADError.self) { try SileroVAD.speechSegments(probabilities: [0.9], audioLength: -1) }
        let message = SileroVADError.invalidOption("threshold 1.5 is not in 0...1").description
        #expect(message.contains("threshold"))
    }
}
