import Foundation
import LoomMedia
import LoomModels
import LoomTestSupport
import Testing

/// Silero VAD with the real weights against the official silero-vad 6.2.3 TorchScript graph running
/// the same stock weights, read by Loom from silero_vad_16k_op15.onnx (Scripts/reference/dump_vad.py).
@Suite struct SileroVADReferenceTests {
    /// Per-chunk probabilities within 1e-4 of the reference on every clip (float32 GEMM order).
    @Test(arguments: SileroVADTestSupport.clipNames)
    func probabilities(clip: String) throws {
        guard let model = try SileroVADTestSupport.model() else { return }
        let reference = try #require(try SileroVADReference.load().clips[clip])
        let audio = try SileroVADTestSupport.audio(clip)
        #expect(audio.samples.count == reference.samples)
        let audioSum = audio.samples.reduce(0.0) { $0 + Double($1) }
        #expect(abs(audioSum - reference.sum) < 1e-6, "decoded audio differs from the script's: sum \(audioSum) vs \(reference.sum)")
        let probabilities = try model.speechProbabilities(audio)
        #expect(probabilities.count == reference.probabilities.count)
        guard probabilities.count == reference.probabilities.count else { return }
        let diff = maxAbsDiff(probabilities, reference.probabilities)
        print("silero-vad \(clip) probabilities maxdiff", diff)
        #expect(diff < 1e-4)
    }

    /// Segments from our own probabilities equal the reference's get_speech_timestamps, sample-exact.
    @Test(arguments: SileroVADTestSupport.clipNames)
    func timestamps(clip: String) throws {
        guard let model = try SileroVADTestSupport.model() else { return }
        let reference = try #require(try SileroVADReference.load().clips[clip])
        let segments = try model.speechSegments(try SileroVADTestSupport.audio(clip))
        print("silero-vad \(clip) segments", segments)
        #expect(segments.map(\.span) == reference.timestamps)
    }

    @Test func silenceAndNoiseHaveNoSpeech() throws {
        guard let model = try SileroVADTestSupport.model() else { return }
        for clip in ["silence_2s.flac", "pink_noise_2s.flac"] {
            let audio = try SileroVADTestSupport.audio(clip)
            #expect(try model.speechSegments(audio).isEmpty, "\(clip)")
            let loudest = try model.speechProbabilities(audio).max() ?? 0
            #expect(loudest < 0.5, "\(clip): a chunk reached \(loudest)")
        }
    }

    /// arctic_a0007 + 3 s of zeros + arctic_a0007: one segment each side, none inside the gap.
    @Test func concatenationSplitsAroundTheGap() throws {
        guard let model = try SileroVADTestSupport.model() else { return }
        let speech = try SileroVADTestSupport.audio("arctic_a0007.wav")
        let audio = SileroVADTestSupport.concatenation(speech)
        let segments = try model.speechSegments(audio)
        let gap = speech.samples.count..<(speech.samples.count + 3 * 16_000)
        #expect(segments.count == 2)
        guard segments.count == 2 else { return }
        #expect(segments[0].endSample <= gap.lowerBound + 480)  // at most speech_pad_ms of padding into it
        #expect(segments[1].startSample >= gap.upperBound - 480)
        #expect(segments[1].end - segments[0].end > 3.0)
        print("silero-vad concatenation segments (s)", segments.map { ($0.start, $0.end) })
    }

    /// Streaming through `Stream` (a block of 40 chunks, then chunk by chunk) gives the whole-buffer
    /// numbers within 1e-6 (GEMM widths differ, so the summation order may), and reset() starts over.
    @Test func streamMatchesWholeBufferAndResets() throws {
        guard let model = try SileroVADTestSupport.model() else { return }
        let audio = try SileroVADTestSupport.audio("arctic_a0007.wav")
        let whole = try model.speechProbabilities(audio)
        var stream = model.makeStream()
        let blockEnd = 40 * SileroVAD.chunkLength
        var streamed = try stream.probabilities(ofChunks: Array(audio.samples[0..<blockEnd]))
        for start in stride(from: blockEnd, to: audio.samples.count, by: SileroVAD.chunkLength) {
            var chunk = Array(audio.samples[start..<min(start + SileroVAD.chunkLength, audio.samples.count)])
            chunk += [Float](repeating: 0, count: SileroVAD.chunkLength - chunk.count)
            streamed.append(try stream.probability(of: chunk))
        }
        let diff = maxAbsDiff(streamed, whole)
        print("silero-vad stream vs whole buffer maxdiff", diff)
        #expect(diff < 1e-6)
        stream.reset()
        let first = try stream.probability(of: Array(audio.samples[0..<SileroVAD.chunkLength]))
        #expect(abs(first - whole[0]) < 1e-6)
        #expect(throws: SileroVADError.wrongChunkLength(700)) { try stream.probabilities(ofChunks: [Float](repeating: 0, count: 700)) }
    }
}
