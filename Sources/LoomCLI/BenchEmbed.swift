import ArgumentParser
import Foundation
import LoomModels
import LoomTensor
import LoomTokenizers

/// `loom bench embed`: times sentence embedding (WordPiece + BERT + pooling) on a file of texts, one
/// per line, and prints one JSON line. Benchmarks/embed/run compares it with transformers on torch.
struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Time sentence embeddings of a text file (one text per line).")

    @Option(help: "A sentence-transformers model folder (e.g. $LOOM_HOME/models/minilm-l6-v2).")
    var model: String

    @Option(help: "UTF-8 text file, one text per line.")
    var input: String

    @Option(name: .customLong("repeat"), help: "Timed runs after one untimed warm-up run.")
    var repetitions: Int = 3

    @Option(help: "Worker threads.")
    var threads: Int = 2

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        ComputeThreads.set(threads)
        let folder = URL(fileURLWithPath: model)
        let texts = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n").map(String.init)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let embedder = try SentenceEmbedder(folder: folder, tokenizer: WordPieceTokenizer(folder: folder))
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e6
        let warmUp = try embedder.embed(texts)
        var milliseconds: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try embedder.embed(texts)
            milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let best = milliseconds.min()!
        let result: [String: Any] = [
            "bench": "embed", "texts": texts.count, "dimension": embedder.dimension, "threads": threads,
            "load_ms": loadMilliseconds, "ms_min": best, "ms": milliseconds,
            "texts_per_s": Double(texts.count) / (best / 1000),
            "first": Array(warmUp.first?.prefix(4) ?? []),
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
