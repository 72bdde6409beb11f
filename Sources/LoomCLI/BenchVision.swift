import ArgumentParser
import Foundation
import LoomModels
import LoomTensor

/// `loom bench vision`: times the image encode of a CLIP model folder (vision tower + projection +
/// normalize, as transformers' `get_image_features`) or of a SigLIP vision tower folder
/// (`SiglipVisionModel`: patch states after post_layernorm, the tower SmolVLM uses) on raw float32
/// pixel values, and prints one JSON line. Benchmarks/vision/run compares it with transformers.
struct BenchVision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision", abstract: "Time image encoding of a CLIP model or a SigLIP vision tower folder.")

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case clip
        case siglipVision = "siglip-vision"
    }

    @Option(help: "Hugging Face folder: a CLIPModel, or a SiglipVisionModel (config.json + model.safetensors).")
    var model: String

    @Option(help: "clip or siglip-vision.")
    var kind: Kind

    @Option(help: "Raw float32 pixel values (N, 3, S, S) at the model's image size, e.g. from numpy's tofile.")
    var pixels: String

    @Option(help: "Images encoded together (the first N of the file).")
    var batch: Int = 1

    @Option(name: .customLong("repeat"), help: "Timed runs after one untimed warm-up run.")
    var repetitions: Int = 5

    @Option(help: "Worker threads.")
    var threads: Int = 2

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        ComputeThreads.set(threads)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let encode: ([Tensor]) throws -> Float
        let side: Int
        let family: ModelFamily = kind == .clip ? .clip : .siglipVision
        switch try LoadedModel(ModelRegistry.describe(URL(fileURLWithPath: model), as: family)) {
        case .clip(let clip):
            side = clip.config.visionConfig.imageSize
            encode = { try clip.imageEmbeddings(pixelValues: $0)[0][0] }
        case .siglipVision(let tower):
            side = tower.config.imageSize
            encode = { try tower.encode(batch: $0)[0].data[0] }
        default:
            throw ValidationError("--model must be a CLIP model or a SigLIP vision tower folder")
        }
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e6
        let images = try readImages(side: side)
        let first = try encode(images)
        var milliseconds: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try encode(images)
            milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let sorted = milliseconds.sorted()
        let result: [String: Any] = [
            "bench": "vision", "kind": kind.rawValue, "batch": batch, "threads": threads, "load_ms": loadMilliseconds,
            "ms_min": sorted[0], "ms_median": sorted[sorted.count / 2], "ms": milliseconds, "first": first,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// The first `batch` images of the pixel file, each (3, side, side).
    private func readImages(side: Int) throws -> [Tensor] {
        let data = try Data(contentsOf: URL(fileURLWithPath: pixels))
        let perImage = 3 * side * side
        guard data.count % (perImage * 4) == 0, data.count / (perImage * 4) >= batch else {
            throw ValidationError("\(pixels) holds \(data.count) bytes, not at least \(batch) float32 images of 3x\(side)x\(side)")
        }
        let floats = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self).prefix(batch * perImage)) }
        return (0..<batch).map { Tensor(shape: [3, side, side], data: Array(floats[($0 * perImage)..<(($0 + 1) * perImage)])) }
    }
}
