import Foundation
import LoomMedia
import LoomModels
import LoomTestSupport
import Testing

/// Tests/Fixtures/vad/vad_reference.json (Scripts/reference/dump_vad.py).
struct SileroVADReference: Decodable {
    struct Span: Decodable, Equatable {
        let start: Int
        let end: Int
    }
    struct Clip: Decodable {
        let samples: Int
        let sum: Double
        let probabilities: [Float]
        let timestamps: [Span]
        let from_probs: [String: [Span]]
    }
    let stock_jit_vs_onnx_maxdiff: Double
    let clips: [String: Clip]

    static func load() throws -> SileroVADReference {
        try JSONDecoder().decode(SileroVADReference.self, from: Data(contentsOf: Fixtures.url("vad/vad_reference.json")))
    }
}

extension SpeechSegment {
    var span: SileroVADReference.Span { .init(start: startSample, end: endSample) }
}

enum SileroVADTestSupport {
    /// The installed model, nil (with a note) when absent; a recorded issue when LOOM_REQUIRE_MODELS=1.
    static func model(sourceLocation: SourceLocation = #_sourceLocation) throws -> SileroVAD? {
        if let folder = InstalledModels.folder("silero-vad") {
            return try SileroVAD(contentsOf: folder)
        }
        if InstalledModels.required {
            Issue.record("model silero-vad is not installed under \(InstalledModels.home.path)", sourceLocation: sourceLocation)
        } else {
            print("skipping: model silero-vad is not installed under \(InstalledModels.home.path) (loom models pull silero-vad)")
        }
        return nil
    }

    static let clipNames = ["jfk.wav", "arctic_a0007.wav", "silence_2s.flac", "pink_noise_2s.flac", "concatenation"]

    /// The clips of dump_vad.py, decoded by LoomMedia (all are 16 kHz, so nothing is resampled).
    static func audio(_ name: String) throws -> AudioBuffer {
        let decoder = AudioDecoder()
        switch name {
        case "jfk.wav", "arctic_a0007.wav":
            return try decoder.decode(contentsOf: Fixtures.sample("audio/\(name)"))
        case "concatenation":
            return concatenation(try audio("arctic_a0007.wav"))
        default:
            return try decoder.decode(contentsOf: Fixtures.url("audio/\(name)"))
        }
    }

    /// Speech, 3 s of zeros, the same speech again: dump_vad.py's `concatenation`.
    static func concatenation(_ speech: AudioBuffer) -> AudioBuffer {
        AudioBuffer(sampleRate: 16_000, samples: speech.samples + [Float](repeating: 0, count: 3 * 16_000) + speech.samples)
    }

    /// The option sets of dump_vad.py's OPTION_SETS, by the same names.
    static func options(_ name: String) -> SileroVAD.SegmentOptions? {
        var options = SileroVAD.SegmentOptions()
        switch name {
        case "default": break
        case "max_speech_2s": options.maxSpeechDurationSeconds = 2
        case "max_speech_2s_last_silence":
            options.maxSpeechDurationSeconds = 2
            options.splitAtLongestSilence = false
        case "threshold_0.3_pad_100":
            options.threshold = 0.3
            options.speechPadMs = 100
        case "min_silence_300_min_speech_500":
            options.minSilenceDurationMs = 300
            options.minSpeechDurationMs = 500
        default: return nil
        }
        return options
    }
}

/// A minimal safetensors writer (F32 only) for weight files with chosen names and shapes.
enum SileroVADSafeTensorsWriter {
    static func write(_ tensors: [(name: String, shape: [Int])], to url: URL, value: Float = 0) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for tensor in tensors {
            let bytes = tensor.shape.reduce(1, *) * 4
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        // Every element is `value`, so which tensor owns which bytes needs no care here.
        let payload = [Float](repeating: value, count: offset / 4)
        payload.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: url)
    }

    /// The 15 tensors of silero_vad_16k.safetensors with their shapes.
    static let sileroShapes: [(name: String, shape: [Int])] = [
        ("stft_conv.weight", [258, 1, 256]),
        ("conv1.weight", [128, 129, 3]), ("conv1.bias", [128]),
        ("conv2.weight", [64, 128, 3]), ("conv2.bias", [64]),
        ("conv3.weight", [64, 64, 3]), ("conv3.bias", [64]),
        ("conv4.weight", [128, 64, 3]), ("conv4.bias", [128]),
        ("lstm_cell.weight_ih", [512, 128]), ("lstm_cell.weight_hh", [512, 128]),
        ("lstm_cell.bias_ih", [512]), ("lstm_cell.bias_hh", [512]),
        ("final_conv.weight", [1, 128, 1]), ("final_conv.bias", [1]),
    ]
}
