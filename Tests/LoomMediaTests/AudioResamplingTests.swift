import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// Downmix and libsoxr resampling to the model rate.
@Suite struct AudioResamplingTests {
    let decoder = AudioDecoder()

    /// sox made these from the 16 kHz original; decoding them back to 16 kHz must land on it again.
    /// The 44.1 and 48 kHz versions keep the whole 0-8 kHz band, so they come back almost exactly; the
    /// 8 kHz version lost everything above 4 kHz, so its bounds are looser.
    @Test(arguments: [
        ("arctic_a0007_44k_stereo.flac", 0.9999, 0.002),
        ("arctic_a0007_48k_24bit.flac", 0.9999, 0.002),
        ("arctic_a0007_8k.wav", 0.99, 0.015),
    ])
    func resampledVariantsReturnToTheOriginal(name: String, minimumCorrelation: Double, maximumRMSDifference: Double) throws {
        let original = try decoder.decode(contentsOf: Fixtures.sample("audio/arctic_a0007.wav"))
        let resampled = try decoder.decode(contentsOf: Fixtures.sample("audio/\(name)"))
        let count = min(original.samples.count, resampled.samples.count)
        let correlation = AudioTestSupport.correlation(original.samples[0..<count], resampled.samples[0..<count])
        let rmsDifference = AudioTestSupport.rmsDifference(original.samples, resampled.samples, count: count)
        print("\(name) -> 16 kHz: samples", resampled.samples.count, "correlation", correlation,
              "rms diff", rmsDifference, "(signal rms", AudioTestSupport.rms(original.samples), ")")
        #expect(resampled.sampleRate == 16_000)
        #expect(abs(resampled.samples.count - original.samples.count) <= 16)  // 1 ms at 16 kHz
        #expect(correlation >= minimumCorrelation)
        #expect(rmsDifference <= maximumRMSDifference)
    }

    /// A 1 kHz tone at 48 kHz in a stereo 24-bit WAV comes out at 16 kHz as the same tone: same
    /// frequency, amplitude and phase (soxr compensates its filter delay), within 1e-5 (24-bit steps are 1.2e-7;
    /// the SOXR_HQ filter passes 1 kHz flat).
    @Test func sineKeepsFrequencyAndAmplitudeFrom48kTo16k() throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (frequency, amplitude, seconds) = (1_000.0, 0.5, 2.0)
        let inputFrames = Int(48_000 * seconds)
        var interleaved = [Float](repeating: 0, count: inputFrames * 2)
        for n in 0..<inputFrames {
            let value = Float(amplitude * sin(2 * Double.pi * frequency * Double(n) / 48_000))
            interleaved[2 * n] = value
            interleaved[2 * n + 1] = value
        }
        let url = folder.appendingPathComponent("sine48k.wav")
        try AudioTestSupport.writeWAV(interleaved, channels: 2, sampleRate: 48_000, encoding: .pcm24, to: url)

        let audio = try decoder.decode(contentsOf: url)
        #expect(audio.samples.count == 32_000)
        // Skip 0.1 s at each end, where the filter sees the tone switch on and off.
        let middle = 1_600..<(audio.samples.count - 1_600)
        var worst = 0.0
        for n in middle {
            let ideal = amplitude * sin(2 * Double.pi * frequency * Double(n) / 16_000)
            worst = max(worst, abs(Double(audio.samples[n]) - ideal))
        }
        let rms = AudioTestSupport.rms(audio.samples[middle])
        var crossings = 0
        for n in middle.dropFirst() where (audio.samples[n - 1] < 0) != (audio.samples[n] < 0) { crossings += 1 }
        let measuredFrequency = Double(crossings) / 2 / (Double(middle.count) / 16_000)
        print("sine 48k->16k maxdiff vs ideal", worst, "rms", rms, "frequency", measuredFrequency)
        #expect(worst < 1e-5)
        #expect(abs(rms - amplitude / 2.0.squareRoot()) < 1e-4)
        #expect(abs(measuredFrequency - frequency) < 2)
    }

    /// Stereo at the target rate needs no resampler: the output is exactly the mean of the channels.
    @Test func stereoDownmixIsTheMeanOfTheChannels() throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let frames = 40_000  // more than one 32k read block
        var interleaved = [Float](repeating: 0, count: frames * 2)
        var expected = [Float](repeating: 0, count: frames)
        var generator = SystemRandomNumberGenerator()
        for n in 0..<frames {
            let left = Float(Int16.random(in: .min ... .max, using: &generator)) / 32768
            let right = Float(Int16.random(in: .min ... .max, using: &generator)) / 32768
            interleaved[2 * n] = left
            interleaved[2 * n + 1] = right
            expected[n] = (left + right) / 2
        }
        let url = folder.appendingPathComponent("stereo16k.wav")
        try AudioTestSupport.writeWAV(interleaved, channels: 2, sampleRate: 16_000, encoding: .pcm16, to: url)
        let audio = try decoder.decode(contentsOf: url)
        let diff = maxAbsDiff(audio.samples, expected)
        print("stereo downmix maxdiff", diff)
        #expect(diff == 0)
    }

    @Test func otherTargetRatesWork() throws {
        let audio = try decoder.decode(contentsOf: Fixtures.sample("audio/jfk.flac"), targetSampleRate: 22_050)
        print("jfk at 22050 Hz:", audio.samples.count, "samples")
        #expect(audio.sampleRate == 22_050)
        #expect(abs(audio.samples.count - 242_550) <= 22)  // 11 s, within 1 ms
    }
}
