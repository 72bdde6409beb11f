import ArgumentParser
import Foundation
import LoomMedia

/// `loom bench decode FILE... [--repeat N]`: decodes each file N times (after one untimed warm-up)
/// from disk to upright RGB, as Benchmarks/decode/run does with Pillow, and prints one JSON line:
/// {"bench":"decode","repeat":N,"files":[{"file","format","width","height","ms"}],"ms_per_format":{...}}
/// where "ms" is the mean wall time of one decode, file read included.
struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode", abstract: "Time image decoding (PNG, JPEG) to RGB.")

    @Argument(help: "Image files to decode.")
    var files: [String]

    @Option(name: .customLong("repeat"), help: "Timed decodes per file.")
    var repetitions = 20

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let decoder = ImageDecoder()
        var rows: [[String: Any]] = []
        var perFormat: [String: (ms: Double, count: Int)] = [:]
        for path in files {
            let url = URL(fileURLWithPath: path)
            let format = (try? Data(contentsOf: url, options: .mappedIfSafe)).flatMap { ImageFormat.detect($0) }
            let warm = try decoder.decode(contentsOf: url)
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<repetitions { _ = try decoder.decode(contentsOf: url) }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let ms = seconds * 1000 / Double(repetitions)
            let name = format?.rawValue ?? "unknown"
            rows.append(["file": path, "format": name, "width": warm.width, "height": warm.height, "ms": ms])
            let sum = perFormat[name, default: (0, 0)]
            perFormat[name] = (sum.ms + ms, sum.count + 1)
        }
        let means = perFormat.mapValues { $0.ms / Double($0.count) }
        let line: [String: Any] = ["bench": "decode", "repeat": repetitions, "files": rows, "ms_per_format": means]
        let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
