import LoomCheck
import ArgumentParser
import Foundation
import LoomFeatures

/// `loom bench logmel`: times Whisper's log-mel front end (LoomFeatures.LogMelSpectrogram) on long
/// audio and prints one JSON line. Benchmarks/logmel/run compares it with whisper.audio.log_mel_spectrogram.
struct BenchLogMel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logmel", abstract: "Time the log-mel spectrogram front end.")

    @Option(help: "Seconds of synthetic 16 kHz audio (tone plus noise) when no --file is given.")
    var seconds: Double = 600

    @Option(help: "Raw little-endian float32 16 kHz mono samples to use instead of synthetic audio.")
    var file: String?

    @Option(name: .customLong("repeat"), help: "Timed runs after one untimed warm-up run.")
    var repetitions: Int = 5

    @Option(help: "Worker threads.")
    var threads: Int = 2

    @Option(help: "Mel bins: 80 or 128.")
    var melBins: Int = 80

    @Option(help: "Zero samples appended before the STFT (whisper's padding argument).")
    var padding: Int = 0

    func validate() throws {
        guard padding >= 0 else { throw ValidationError("--padding must be 0 or more samples") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard seconds > 0, seconds <= 24 * 3600 else { throw ValidationError("--seconds must be in (0, 86400]") }
    }

    func run() throws {
        let samples = try file.map(Self.readFloats) ?? Self.synthesize(seconds: seconds)
        let extractor = try LogMelSpectrogram(melBins: melBins, threads: threads)
        let warmUp = try extractor.compute(samples, paddingSamples: padding)
        var milliseconds: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            let mel = try extractor.compute(samples, paddingSamples: padding)
            milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            require(mel == warmUp, "log-mel output changed between runs")
        }
        let sorted = milliseconds.sorted()
        let result: [String: Any] = [
            "bench": "logmel", "samples": samples.count,
            "audio_seconds": Double(samples.count) / Double(LogMelSpectrogram.sampleRate),
            "mel_bins": melBins, "padding": padding, "frames": warmUp.shape[1], "threads": threads, "repeat": repetitions,
            "ms_min": sorted[0], "ms_median": sorted[sorted.count / 2], "ms": milliseconds,
            "checksum": warmUp.data.reduce(0.0) { $0 + Double($1) },
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    static func readFloats(_ path: String) throws -> [Float] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription); pass a raw float32 sample file")
        }
        guard data.count % 4 == 0, !data.isEmpty else {
            throw ValidationError("\(path) holds \(data.count) bytes, not a whole number of float32 samples; write it with numpy's tofile")
        }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// A 440 Hz tone over uniform noise from a fixed linear congruential generator, so runs repeat.
    static func synthesize(seconds: Double) -> [Float] {
        var state: UInt32 = 12_345
        let count = Int(seconds * Double(LogMelSpectrogram.sampleRate))
        return (0..<count).map { i in
            state = state &* 1_664_525 &+ 1_013_904_223
            let noise = Float(state >> 8) / Float(1 << 24) - 0.5
            return 0.3 * sin(2 * .pi * 440 * Float(i) / 16_000) + 0.05 * noise
        }
    }
}
