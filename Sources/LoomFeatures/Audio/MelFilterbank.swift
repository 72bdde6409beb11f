import LoomCheck
import Foundation

/// The triangular mel filterbank whisper multiplies into the power spectrum.
///
/// Follows `librosa.filters.mel(sr=16000, n_fft=400, n_mels=N)` with librosa's defaults (Slaney mel
/// scale, `htk=False`; Slaney area normalization, `norm="slaney"`; fmin 0, fmax sr/2), which whisper
/// ships precomputed as `whisper/assets/mel_filters.npz` (see `mel_filters` in
/// https://github.com/openai/whisper/blob/main/whisper/audio.py and
/// https://github.com/librosa/librosa/blob/main/librosa/filters.py).
/// The arithmetic runs in Double like numpy and rounds to Float at the points librosa stores float32.
public struct MelFilterbank: Sendable {
    public let melBins: Int
    /// rfft bins: nFFT / 2 + 1.
    public let frequencyBins: Int
    /// (melBins, frequencyBins), row-major.
    public let weights: [Float]
    /// For each mel bin, the half-open range of frequency bins where its weight is nonzero. Each bin
    /// feeds at most two filters, so projecting through these bands does ~1/40 of a dense product's work.
    public let bands: [Range<Int>]

    /// Arguments must be positive (callers pass Whisper's fixed 16000, 400 and 80 or 128).
    public init(sampleRate: Int, nFFT: Int, melBins: Int) {
        require(sampleRate > 0 && nFFT > 0 && melBins > 0, "mel filterbank needs positive sizes")
        let bins = nFFT / 2 + 1
        let fftFrequencies = (0..<bins).map { Double($0) * Double(sampleRate) / Double(nFFT) }
        // melBins + 2 points evenly spaced in mel between fmin = 0 and fmax = sr / 2.
        let maxMel = Self.hzToMel(Double(sampleRate) / 2)
        // numpy.linspace: i * step, with the last point set to the stop value exactly.
        let melStep = maxMel / Double(melBins + 1)
        let edges = (0..<(melBins + 2)).map { i -> Double in
            Self.melToHz(i == melBins + 1 ? maxMel : Double(i) * melStep)
        }
        var weights = [Float](repeating: 0, count: melBins * bins)
        var bands: [Range<Int>] = []
        for m in 0..<melBins {
            let lowerWidth = edges[m + 1] - edges[m], upperWidth = edges[m + 2] - edges[m + 1]
            // Slaney normalization: each triangle has unit area in Hz.
            let areaNorm = 2.0 / (edges[m + 2] - edges[m])
            var first = bins, last = -1
            for k in 0..<bins {
                let lower = (fftFrequencies[k] - edges[m]) / lowerWidth
                let upper = (edges[m + 2] - fftFrequencies[k]) / upperWidth
                let triangle = Float(max(0, min(lower, upper)))  // librosa stores float32 here
                let w = Float(Double(triangle) * areaNorm)
                weights[m * bins + k] = w
                if w != 0 { first = min(first, k); last = k }
            }
            bands.append(last >= first ? first..<(last + 1) : 0..<0)
        }
        self.melBins = melBins
        self.frequencyBins = bins
        self.weights = weights
        self.bands = bands
    }

    // Slaney's mel scale (librosa.hz_to_mel / mel_to_hz with htk=False): linear below 1 kHz,
    // logarithmic above.
    private static let linearStep = 200.0 / 3
    private static let logStartHz = 1000.0
    private static let logStartMel = logStartHz / linearStep
    private static let logStep = Foundation.log(6.4) / 27

    static func hzToMel(_ hz: Double) -> Double {
        hz >= logStartHz ? logStartMel + Foundation.log(hz / logStartHz) / logStep : hz / linearStep
    }

    static func melToHz(_ mel: Double) -> Double {
        mel >= logStartMel ? logStartHz * Foundation.exp(logStep * (mel - logStartMel)) : linearStep * mel
    }
}
