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

    /// Against sox's own resampler and channel average (Scripts/make-sample-audio keeps 0.25 s of its
    /// 16 kHz output from 1.5 s on). Both are linear-phase 20-bit-precision filters, but sox's passes
    /// up to 95% of Nyquist and SOXR_HQ rolls off a little earlier, so they differ near 7.5 kHz (and,
    /// upsampling from 8 kHz, in how much image above 4 kHz is left): measured RMS differences are
    /// about -58 dB (44.1/48 kHz) and -47 dB (8 kHz) below the signal, with short peaks at transients.
    @Test(arguments: [
        ("arctic_a0007_44k_stereo", "flac", Float(1e-2), 2e-4), ("arctic_a0007_48k_24bit", "flac", 1e-2, 2e-4),
        ("arctic_a0007_8k", "wav", 3e-2, 1e-3),
    ])
    func matchesSoxResampling(name: String, fileExtension: String, maximumDifference: Float, maximumRMSDifference: Double) throws {
        let reference = try decoder.decode(contentsOf: Fixtures.url("audio/sox16k_\(name).wav"))
        let audio = try decoder.decode(contentsOf: Fixtures.sample("audio/\(name).\(fileExtension)"))
        let slice = Array(audio.samples[24_000..<(24_000 + reference.samples.count)])
        let diff = maxAbsDiff(slice, reference.samples)
        let rmsDifference = AudioTestSupport.rmsDifference(slice, reference.samples, count: slice.count)
        print("\(name) loom vs sox 16 kHz maxdiff", diff, "rms diff", rmsDifference,
              "(slice rms", AudioTestSupport.rms(reference.samples), ")")
        #expect(reference.samples.count == 4_000)
        #expect(diff <= maximumDifference)
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

    /// At the target rate there is no resampler: the output is exactly the mean of the channels.
    @Test(arguments: [2, 6])
    func downmixIsTheMeanOfTheChannels(channels: Int) throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let frames = 40_000  // more than one 32k read block
        var interleaved = [Float](repeating: 0, count: frames * channels)
        var expected = [Float](repeating: 0, count: frames)
        var generator = SplitMix64(seed: UInt64(channels))
        for n in 0..<frames {
            var sum: Float = 0
            for channel in 0..<channels {
                let value = Float(Int16(truncatingIfNeeded: generator.next())) / 32768
                interleaved[n * channels + channel] = value
                sum += value
            }
            expected[n] = sum * (1 / Float(channels))
        }
        let url = folder.appendingPathComponent("multichannel16k.wav")
        try AudioTestSupport.writeWAV(interleaved, channels: channels, sampleRate: 16_000, encoding: .pcm16, to: url)
        let audio = try decoder.decode(contentsOf: url)
        let diff = maxAbsDiff(audio.samples, expected)
        print("\(channels)-channel downmix maxdiff", diff)
        #expect(diff == 0)
    }

    /// The same 16-bit values stored as 16-, 24- and 32-bit integer and 32-bit float WAVs decode to
    /// identical floats (libsndfile scales each integer width by its own full scale).
    @Test func integerAndFloatWAVDepthsDecodeIdentically() throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SplitMix64(seed: 11)
        let values = (0..<20_000).map { _ in Float(Int16(truncatingIfNeeded: generator.next())) / 32768 }
        for encoding in [AudioTestSupport.Encoding.pcm16, .pcm24, .pcm32, .float32] {
            let url = folder.appendingPathComponent("depth-\(encoding).wav")
            try AudioTestSupport.writeWAV(values, channels: 1, sampleRate: 16_000, encoding: encoding, to: url)
            let diff = maxAbsDiff(try decoder.decode(contentsOf: url).samples, values)
            print("\(encoding) WAV maxdiff", diff)
            #expect(diff == 0)
        }
    }

    /// Several decodes at once (a batch on many cores) give the same samples as one at a time.
    @Test func concurrentDecodesAgree() async throws {
        let names = ["jfk.flac", "jfk.ogg", "arctic_a0007_44k_stereo.flac", "arctic_a0007_8k.wav", "text.mp3"]
        let urls = names.map { $0 == "text.mp3" ? Fixtures.url("audio/\($0)") : Fixtures.sample("audio/\($0)") }
        let serial = urls.map { try? AudioDecoder().decode(contentsOf: $0) }
        let parallel = await withTaskGroup(of: (Int, AudioBuffer?).self) { group in
            for (index, url) in urls.enumerated() {
                group.addTask { (index, try? AudioDecoder().decode(contentsOf: url)) }
            }
            var results = [AudioBuffer?](repeating: nil, count: urls.count)
            for await (index, audio) in group { results[index] = audio }
            return results
        }
        #expect(parallel == serial)
        #expect(serial.last! == nil && serial.dropLast().allSatisfy { $0 != nil })
    }

    @Test func otherTargetRatesWork() throws {
        let audio = try decoder.decode(contentsOf: Fixtures.sample("audio/jfk.flac"), targetSampleRate: 22_050)
        print("jfk at 22050 Hz:", audio.samples.count, "samples")
        #expect(audio.sampleRate == 22_050)
        #expect(abs(audio.samples.count - 242_550) <= 22)  // 11 s, within 1 ms
    }
}
