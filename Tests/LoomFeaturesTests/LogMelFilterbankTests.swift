import LoomFeatures
import LoomTestSupport
import Testing

/// The Slaney mel filterbank computed in Swift against whisper's shipped assets/mel_filters.npz
/// (librosa.filters.mel(sr=16000, n_fft=400, n_mels=80 / 128)).
@Suite struct LogMelFilterbankTests {
    static let tolerance: Float = 1e-6

    @Test(arguments: [80, 128])
    func matchesWhisperAssets(melBins: Int) throws {
        let bank = MelFilterbank(sampleRate: 16_000, nFFT: 400, melBins: melBins)
        #expect(bank.frequencyBins == 201)
        let reference = try Fixtures.floats("logmel/mel_filters_\(melBins).f32")
        let d = maxAbsDiff(bank.weights, reference)
        print("mel filterbank \(melBins): maxdiff", d, "tolerance", Self.tolerance)
        #expect(d <= Self.tolerance)
    }

    @Test(arguments: [80, 128])
    func bandsCoverExactlyTheNonzeroWeights(melBins: Int) throws {
        let bank = MelFilterbank(sampleRate: 16_000, nFFT: 400, melBins: melBins)
        for m in 0..<melBins {
            let band = bank.bands[m]
            #expect(!band.isEmpty, "mel \(m) has no weights")
            for k in 0..<bank.frequencyBins where !band.contains(k) {
                #expect(bank.weights[m * bank.frequencyBins + k] == 0)
            }
        }
    }
}
