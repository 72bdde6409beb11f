import Foundation
import LoomFeatures
import LoomTensor
import LoomTestSupport
import Testing

/// Loom's log-mel front end against openai-whisper's `log_mel_spectrogram` on the first 5 s of jfk.wav
/// (fixtures from Scripts/reference/dump_logmel.py).
@Suite struct LogMelReferenceTests {
    /// Stated tolerance on the (log10 + 4) / 4 scale.
    static let tolerance: Float = 1e-4

    /// jfk_5s.s16 as whisper loads audio: int16 / 32768.
    static func jfkSamples() throws -> [Float] {
        let data = try Data(contentsOf: Fixtures.url("logmel/jfk_5s.s16"))
        return data.withUnsafeBytes { raw in raw.bindMemory(to: Int16.self).map { Float(Int16(littleEndian: $0)) / 32768 } }
    }

    /// Columns [from, to) of a (rows, columns) row-major tensor.
    static func columns(_ t: Tensor, _ from: Int, _ to: Int) -> [Float] {
        let rows = t.shape[0], cols = t.shape[1]
        return (0..<rows).flatMap { r in t.data[(r * cols + from)..<(r * cols + to)] }
    }

    struct Summary: Decodable { let shape: [Int]; let sum: Double; let min: Double; let max: Double }

    static func summary(_ key: String) throws -> Summary {
        let data = try Data(contentsOf: Fixtures.url("logmel/summary.json"))
        return try #require(try JSONDecoder().decode([String: Summary].self, from: data)[key])
    }

    @Test(arguments: [80, 128])
    func matchesWhisperWithoutPadding(melBins: Int) throws {
        let mel = try LogMelSpectrogram(melBins: melBins).compute(try Self.jfkSamples())
        #expect(mel.shape == [melBins, 500])
        let reference = try Fixtures.floats("logmel/logmel\(melBins)_pad0.f32")
        let d = maxAbsDiff(mel.data, reference)
        print("logmel \(melBins) bins, padding 0: maxdiff", d, "tolerance", Self.tolerance)
        #expect(d <= Self.tolerance)
    }

    /// whisper's transcribe: log_mel_spectrogram(audio, padding=N_SAMPLES).
    @Test(arguments: [(80, 0, 600), (128, 400, 600)])
    func matchesWhisperWithTranscribePadding(melBins: Int, from: Int, to: Int) throws {
        let mel = try LogMelSpectrogram(melBins: melBins)
            .compute(try Self.jfkSamples(), paddingSamples: LogMelSpectrogram.samplesPerWindow)
        let expected = try Self.summary("logmel\(melBins)_padN")
        #expect(mel.shape == expected.shape)
        let reference = try Fixtures.floats("logmel/logmel\(melBins)_padN_\(from)_\(to).f32")
        let d = maxAbsDiff(Self.columns(mel, from, to), reference)
        print("logmel \(melBins) bins, padding N_SAMPLES, frames \(from)..<\(to): maxdiff", d, "tolerance", Self.tolerance)
        #expect(d <= Self.tolerance)
        // All 3500 frames through their summary statistics.
        let sum = mel.data.reduce(0.0) { $0 + Double($1) }
        print("logmel \(melBins) bins, padding N_SAMPLES: sum", sum, "reference", expected.sum)
        #expect(abs(sum - expected.sum) <= Double(mel.count) * 1e-6)
        #expect(abs(Double(mel.data.min()!) - expected.min) <= Double(Self.tolerance))
        #expect(abs(Double(mel.data.max()!) - expected.max) <= Double(Self.tolerance))
    }

    @Test func matchesFirstFramesOfAWindowSlice() throws {
        // The padded spectrogram's first 500 frames equal the unpadded one except at the right edge,
        // where reflection now reads zeros: whisper relies on this when it slices 3000-frame windows.
        let extractor = try LogMelSpectrogram()
        let plain = try extractor.compute(try Self.jfkSamples())
        let padded = try extractor.compute(try Self.jfkSamples(), paddingSamples: LogMelSpectrogram.samplesPerWindow)
        let d = maxAbsDiff(Self.columns(plain, 0, 497), Self.columns(padded, 0, 497))
        #expect(d == 0)
    }

    /// Blocks wholly inside `paddingSamples` skip the FFT; zeros passed as samples go through it.
    @Test func paddingEqualsExplicitZeros() throws {
        let jfk = try Self.jfkSamples()
        let extractor = try LogMelSpectrogram()
        let padded = try extractor.compute(jfk, paddingSamples: 160_000)
        let explicit = try extractor.compute(jfk + [Float](repeating: 0, count: 160_000))
        #expect(padded == explicit)
    }

    @Test func threadCountDoesNotChangeResults() throws {
        // 40 s of jfk (repeated) gives enough blocks for several threads.
        let jfk = try Self.jfkSamples()
        let long = Array((0..<8).map { _ in jfk }.joined())
        let one = try LogMelSpectrogram(threads: 1).compute(long, paddingSamples: 12_345)
        for threads in [2, 3, 7] {
            let many = try LogMelSpectrogram(threads: threads).compute(long, paddingSamples: 12_345)
            #expect(many == one, "threads \(threads)")
        }
    }
}
