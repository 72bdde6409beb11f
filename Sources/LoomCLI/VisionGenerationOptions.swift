import ArgumentParser
import LoomGeneration

/// The options `loom caption` and `loom ask` share: which SmolVLM / Idefics3 model, how images are
/// tiled, and how tokens are sampled.
struct VisionGenerationOptions: ParsableArguments {
    @Option(help: "A model folder, or a folder name under $LOOM_HOME/models (default: smolvlm-256m-instruct).")
    var model: String?

    @Flag(help: "One tile per image instead of a grid of tiles plus the whole image: faster, less detail.")
    var noTiling = false

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(help: "Keep the smallest set of tokens whose probability reaches p (1: off).")
    var topP: Float = 1

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    var sampling: SamplingOptions { SamplingOptions(temperature: temperature, topP: topP, seed: seed) }
    var tiling: Bool { !noTiling }

    func validate() throws {
        do { _ = try Sampler(sampling) } catch { throw ValidationError("\(error)") }
    }
}
