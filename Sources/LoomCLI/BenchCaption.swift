import ArgumentParser
import Foundation
import LoomGeneration
import LoomMedia
import LoomModels
import LoomTasks
import LoomTensor

/// `loom bench caption`: times one greedy caption per image with an Idefics3 / SmolVLM folder, split into the
/// steps Benchmarks/caption/run compares with transformers: preprocessing (file decode, chat prompt, tiles,
/// tokens), image encode (vision tower + connector), prefill (splice + text model over the prompt + argmax),
/// time to first token (all of these, from the raw file) and decode tokens/s (a fixed number of new tokens,
/// EOS ignored). Prints one JSON line per image: best of `--repeat` runs after one single-tile warm-up.
struct BenchCaption: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caption", abstract: "Time captioning images with a SmolVLM / Idefics3 folder.")

    @Option(help: "An Idefics3 / SmolVLM model folder.")
    var model: String

    @Argument(help: "Image files.")
    var images: [String]

    @Option(help: "The instruction given with each image.")
    var prompt = VisionLanguageTask.defaultCaptionPrompt

    @Option(help: "New tokens per caption (EOS ignored).")
    var tokens = 32

    @Flag(help: "One tile per image instead of the grid plus the whole image.")
    var noTiling = false

    @Option(name: .customLong("repeat"), help: "Timed runs per image after one untimed warm-up run.")
    var repetitions = 3

    @Option(help: "Worker threads.")
    var threads = 2

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard tokens >= 2 else { throw ValidationError("--tokens must be at least 2 (the decode rate needs a token after the first)") }
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
    }

    struct Timing {
        var preprocess = 0.0, encode = 0.0, prefill = 0.0, firstToken = 0.0, decodeTokensPerSecond = 0.0
        var promptTokens = 0, tiles = 0
        var ids: [Int] = []
    }

    func run() throws {
        ComputeThreads.set(threads)
        let loadStart = Self.now()
        let task = try VisionLanguageTask(folder: URL(fileURLWithPath: model))
        let loadMilliseconds = Self.milliseconds(since: loadStart)
        for path in images {
            let url = URL(fileURLWithPath: path)
            // The warm-up (weights paged in, buffers and threads started) runs one tile, as the peer's: a tiled
            // warm-up would double the time of the longest runs without changing what the timed runs measure.
            _ = try caption(url, task: task, tiling: false)
            var runs: [Timing] = []
            for _ in 0..<repetitions { runs.append(try caption(url, task: task, tiling: !noTiling)) }
            let result: [String: Any] = [
                "side": "loom", "image": url.lastPathComponent, "tiling": !noTiling, "threads": threads, "load_ms": loadMilliseconds,
                "tokens": tokens, "repeat": repetitions, "prompt_tokens": runs[0].promptTokens, "tiles": runs[0].tiles,
                "ids": Array(runs[0].ids.prefix(8)),
                "preprocess_ms": runs.map(\.preprocess).min()!, "encode_ms": runs.map(\.encode).min()!,
                "prefill_ms": runs.map(\.prefill).min()!, "ttft_ms": runs.map(\.firstToken).min()!,
                "ttft_ms_median": Self.median(runs.map(\.firstToken)),
                "decode_tok_s": runs.map(\.decodeTokensPerSecond).max()!,
            ]
            let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            // Unbuffered, so each image's line reaches the script as soon as it is done.
            FileHandle.standardOutput.write(json + Data("\n".utf8))
        }
    }

    /// One caption, the steps `VisionLanguageTask.caption` runs, each timed.
    func caption(_ url: URL, task: VisionLanguageTask, tiling: Bool) throws -> Timing {
        var timing = Timing()
        let start = Self.now()
        let image = try ImageDecoder().decode(contentsOf: url)
        let (ids, pixels) = try task.processor.inputs(image: image, prompt: try task.processor.chatPrompt(prompt), tiling: tiling)
        timing.preprocess = Self.milliseconds(since: start)
        timing.promptTokens = ids.count
        timing.tiles = pixels.shape[0]

        let encodeStart = Self.now()
        let features = try task.model.embeddings(for: pixels)
        timing.encode = Self.milliseconds(since: encodeStart)

        let prefillStart = Self.now()
        let imagePrompt = try MultimodalPrompt(ids: ids, markers: [task.model.marker], media: [features])
        let session = task.model.language.makeSession(maxTokens: ids.count + tokens)
        var token = LogitsMath.argmax(try session.forward(prompt: imagePrompt).data)!
        timing.prefill = Self.milliseconds(since: prefillStart)
        timing.firstToken = Self.milliseconds(since: start)

        timing.ids = [token]
        var logits = [Float](repeating: 0, count: task.model.config.textConfig.vocabSize)
        let decodeStart = Self.now()
        for _ in 1..<tokens {
            try logits.withUnsafeMutableBufferPointer { try session.decode(token, into: $0) }
            token = LogitsMath.argmax(logits)!
            timing.ids.append(token)
        }
        timing.decodeTokensPerSecond = Double(tokens - 1) / (Self.milliseconds(since: decodeStart) / 1000)
        return timing
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func milliseconds(since start: UInt64) -> Double { Double(now() - start) / 1e6 }
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
