import Foundation
import LoomMedia
import LoomModels
import LoomTestSupport
import Testing
@testable import LoomTasks

/// Silence skipping with Silero VAD on real models: speech around a long silent middle keeps its
/// original times; silence and noise alone give no text at all.
@Suite(.serialized) struct TranscribeVADTests {
    static func load() throws -> (WhisperPipeline, SileroVAD)? {
        // whisper-base: tiny.en ends its first window after the first sentence on this cut audio and skips
        // the rest (faster-whisper's decoding does the same on the same samples).
        guard let whisper = InstalledModels.file("whisper-base", "model.bin"),
              let vadFile = InstalledModels.file("silero-vad", "silero_vad_16k_op15.onnx") else { return nil }
        return (try WhisperPipeline(folder: whisper.deletingLastPathComponent()), try SileroVAD(contentsOf: vadFile))
    }

    static func decode(_ path: String) throws -> AudioBuffer {
        try AudioDecoder().decode(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path))
    }

    @Test func longSilentMiddleKeepsOriginalTimes() throws {
        guard let (pipeline, vad) = try Self.load() else { return }
        let arctic = try Self.decode("Samples/audio/arctic_a0007.wav"), jfk = try Self.decode("Samples/audio/jfk.wav")
        let silence = [Float](repeating: 0, count: 16_000 * 35)
        let long = AudioBuffer(sampleRate: 16_000, samples: arctic.samples + silence + jfk.samples)
        var options = WhisperTranscribeOptions()
        options.temperatures = [0]

        let transcript = try pipeline.transcribe(long, vad: vad, options: options)
        print("VAD transcript:", transcript.segments.map { "\($0.start)-\($0.end)\($0.text)" })
        #expect(transcript.text.contains("superlative degree"))
        #expect(transcript.text.contains("ask not what your country can do for you"))
        // jfk starts 39 s in (4 s of arctic + 35 s of silence); its first words follow within a second.
        let jfkSegment = try #require(transcript.segments.first { $0.text.contains("fellow Americans") })
        #expect(jfkSegment.start >= 38.5 && jfkSegment.start <= 40.0, "jfk segment starts at \(jfkSegment.start)")
        #expect(transcript.segments.allSatisfy { $0.end <= long.duration + 0.01 })
        #expect(!transcript.segments.contains { $0.start > 5 && $0.end < 38.5 }, "nothing inside the silence")
    }

    /// Word times come back onto the original audio with their segments (faster-whisper's
    /// restore_speech_timestamps): jfk's words follow the 35 s of silence, inside their segments.
    @Test func wordTimesFollowTheOriginalAudio() throws {
        guard let (pipeline, vad) = try Self.load() else { return }
        let arctic = try Self.decode("Samples/audio/arctic_a0007.wav"), jfk = try Self.decode("Samples/audio/jfk.wav")
        let long = AudioBuffer(sampleRate: 16_000, samples: arctic.samples + [Float](repeating: 0, count: 16_000 * 35) + jfk.samples)
        var options = WhisperTranscribeOptions()
        options.temperatures = [0]
        options.wordTimestamps = true
        let transcript = try pipeline.transcribe(long, vad: vad, options: options)
        let words = transcript.segments.flatMap { $0.words ?? [] }
        let fellow = try #require(words.first { $0.word.contains("fellow") })
        #expect(fellow.start >= 39 && fellow.start <= 41, "'fellow' at \(fellow.start)")
        #expect(!words.contains { $0.start > 5 && $0.end < 38.5 }, "no word inside the silence")
        #expect(zip(words, words.dropFirst()).allSatisfy { $0.start <= $1.start } && words.allSatisfy { $0.start <= $0.end })
        for segment in transcript.segments where !(segment.words ?? []).isEmpty {
            #expect(segment.start == segment.words!.first!.start && segment.end == segment.words!.last!.end)
        }
    }

    @Test(arguments: ["Tests/Fixtures/audio/silence_2s.flac", "Tests/Fixtures/audio/pink_noise_2s.flac"])
    func silenceAndNoiseGiveNoText(path: String) throws {
        guard let (pipeline, vad) = try Self.load() else { return }
        let transcript = try pipeline.transcribe(try Self.decode(path), vad: vad)
        #expect(transcript.segments.isEmpty && transcript.text.isEmpty, "\(path): \(transcript.text)")
    }

    @Test func timeMapFollowsFasterWhisper() throws {
        guard let (_, vad) = try Self.load() else { return }
        let arctic = try Self.decode("Samples/audio/arctic_a0007.wav")
        let gap = [Float](repeating: 0, count: 16_000 * 5)
        let speech = try SpeechOnlyAudio(AudioBuffer(sampleRate: 16_000, samples: gap + arctic.samples), vad: vad)
        let first = try #require(speech.segments.first)
        // Cut audio starts at the first speech sample: time 0 maps to the segment's original start.
        #expect(abs(speech.originalTime(0) - (first.start * 100).rounded() / 100) < 0.011)
        #expect(speech.audio.samples.count == speech.segments.reduce(0) { $0 + $1.sampleRange.count })
    }
}
