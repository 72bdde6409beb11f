import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// Decoding checked against Python's `wave` module (Scripts/reference/dump_audio.py) and across formats.
@Suite struct AudioDecoderReferenceTests {
    let decoder = AudioDecoder()

    @Test(arguments: ["jfk.wav", "arctic_a0007.wav"])
    func wav16DecodesBitExactlyToInt16Over32768(name: String) throws {
        let reference = try #require(try AudioTestSupport.wavReference()[name])
        let audio = try decoder.decode(contentsOf: Fixtures.sample("audio/\(name)"))
        #expect(audio.sampleRate == reference.sample_rate)
        #expect(audio.samples.count == reference.count)
        #expect(AudioTestSupport.fnv1a64(int16Of: audio.samples) == reference.fnv1a64_int16)
        var worst: Float = 0
        for slice in reference.slices {
            worst = max(worst, maxAbsDiff(Array(audio.samples[slice.start..<(slice.start + slice.values.count)]), slice.values))
        }
        let sum = audio.samples.reduce(0.0) { $0 + Double($1) }
        let squares = audio.samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        print("\(name) wav16 slices maxdiff", worst, "sum", sum, "vs", reference.sum)
        #expect(worst == 0)  // tolerance: exact
        #expect(abs(sum - reference.sum) < 1e-9)
        #expect(abs(squares - reference.sum_of_squares) < 1e-9)
    }

    @Test func flacEqualsWAVExactly() throws {
        let wav = try decoder.decode(contentsOf: Fixtures.sample("audio/jfk.wav"))
        let flac = try decoder.decode(contentsOf: Fixtures.sample("audio/jfk.flac"))
        let diff = maxAbsDiff(wav.samples, flac.samples)
        print("jfk flac vs wav maxdiff", diff)
        #expect(diff == 0)
    }

    @Test func eightBitAndFloatWAVsMatchTheSixteenBitOriginal() throws {
        let pcm16 = try decoder.decode(contentsOf: Fixtures.url("audio/arctic_head_pcm16.wav"))
        let pcm8 = try decoder.decode(contentsOf: Fixtures.url("audio/arctic_head_pcm8.wav"))
        let float32 = try decoder.decode(contentsOf: Fixtures.url("audio/arctic_head_float32.wav"))
        let diff8 = maxAbsDiff(pcm16.samples, pcm8.samples)
        let diffFloat = maxAbsDiff(pcm16.samples, float32.samples)
        print("arctic head pcm8 vs pcm16 maxdiff", diff8, "float32 vs pcm16 maxdiff", diffFloat)
        #expect(diff8 <= 1.0 / 256 + 1e-6)  // half an 8-bit step: sox rounds to nearest
        #expect(diffFloat == 0)  // sox writes int16 / 32768 exactly
    }

    /// Lossy codecs: same length within 0.05 s and the waveform still tracks the original.
    @Test(arguments: [("jfk.mp3", 0.999), ("jfk.ogg", 0.99), ("jfk.opus", 0.99)])
    func lossyFormatsTrackTheWAV(name: String, minimumCorrelation: Double) throws {
        let wav = try decoder.decode(contentsOf: Fixtures.sample("audio/jfk.wav"))
        let report = try decoder.decodeWithReport(contentsOf: Fixtures.sample("audio/\(name)"))
        let lossy = report.audio
        let count = min(wav.samples.count, lossy.samples.count)
        let correlation = AudioTestSupport.correlation(wav.samples[0..<count], lossy.samples[0..<count])
        print("\(name) duration", lossy.duration, "vs", wav.duration, "correlation", correlation, report.info.encodingName)
        #expect(abs(lossy.duration - wav.duration) <= 0.05)
        #expect(correlation >= minimumCorrelation)
        #expect(report.warnings.isEmpty)
    }

    @Test func probeReadsTheHeaders() throws {
        let expectations: [(String, String, String, Int, Int, Int)] = [
            ("jfk.wav", "WAV", "Signed 16 bit PCM", 1, 16_000, 176_000),
            ("jfk.flac", "FLAC", "Signed 16 bit PCM", 1, 16_000, 176_000),
            ("jfk.ogg", "OGG", "Vorbis", 1, 16_000, 176_000),
            ("jfk.opus", "OGG", "Opus", 1, 16_000, 176_000),
            ("jfk.mp3", "MPEG", "MPEG Layer III", 1, 16_000, 176_000),
            ("arctic_a0007_44k_stereo.flac", "FLAC", "Signed 16 bit PCM", 2, 44_100, 176_400),
            ("arctic_a0007_48k_24bit.flac", "FLAC", "Signed 24 bit PCM", 1, 48_000, 192_000),
        ]
        for (name, format, encoding, channels, rate, frames) in expectations {
            let info = try AudioDecoder.probe(Fixtures.sample("audio/\(name)"))
            print(name, info)
            #expect(info.formatName.hasPrefix(format), "\(name)")
            #expect(info.encodingName == encoding, "\(name)")
            #expect(info.channels == channels && info.sampleRate == rate && info.frames == frames, "\(name)")
        }
    }

    @Test func silenceIsZerosAndPinkNoiseIsNot() throws {
        let silence = try decoder.decode(contentsOf: Fixtures.url("audio/silence_2s.flac"))
        #expect(silence.samples.count == 32_000)
        #expect(silence.samples.allSatisfy { $0 == 0 })
        let noise = try decoder.decode(contentsOf: Fixtures.url("audio/pink_noise_2s.flac"), targetSampleRate: 8_000)
        let rms = AudioTestSupport.rms(noise.samples)
        print("pink noise at 8 kHz: samples", noise.samples.count, "rms", rms)
        #expect(noise.samples.count == 16_000)
        #expect(rms > 0.005 && rms < 0.2)
    }
}
