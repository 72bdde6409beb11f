import ArgumentParser
import Foundation
import LoomMedia
import LoomModelStore
import LoomTasks

/// `loom embed`: normalized CLIP / SigLIP embeddings of images and texts.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Normalized image and text embeddings with a CLIP or SigLIP model.",
        discussion: """
            Prints one line per image or text: the name, a tab, then the comma-separated values \
            (--json: one JSON object per line with "path" or "text" and "embedding"). Images and texts \
            of one model share a space: their dot product is the cosine similarity. A file that fails is \
            reported and the others go on; the exit status is non-zero when any failed.
            """)

    @Argument(help: "Image files (PNG, JPEG) or folders.")
    var paths: [String] = []

    @Flag(name: .shortAndLong, help: "Descend into sub-folders.")
    var recursive = false

    @Option(name: .customLong("text"), help: "A text to embed (repeatable).")
    var texts: [String] = []

    @Option(help: "A CLIP or SigLIP folder (a full model, or a vision tower alone: clip_vision_model, siglip_vision_model, for images only), a folder name under $LOOM_HOME/models, a catalog name, or ORG/NAME[@REV] from the Hugging Face cache (default: clip-vit-base-patch32).")
    var model: String?

    @Flag(help: "JSON lines instead of tab-separated text.")
    var json = false

    @Option(help: "Write the embeddings to this file instead of stdout.")
    var output: String?

    @Flag(help: "Replace the --output file even when Loom did not write it.")
    var overwrite = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard !paths.isEmpty || !texts.isEmpty else { throw ValidationError("give image paths or --text \"...\" to embed") }
    }

    func run() throws {
        compute.apply()
        let inputs = try MediaWalker.files(in: paths.map { URL(fileURLWithPath: $0) }, recursive: recursive, kinds: [.image])
        guard !inputs.isEmpty || !texts.isEmpty else { throw ValidationError("no images found in \(DisplayPath.escaping(paths.joined(separator: " ")))") }
        let outputURL = output.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let writer = OutputWriter(kind: "embed", overwrite: overwrite, inputs: inputs)
        // Checked before the model loads, and again when writing.
        if let outputURL, case .refused(let refusal) = writer.status(of: outputURL) { throw ValidationError(refusal.description) }
        let folder = try VisionModelFolder.resolve(model, kind: .dualEncoder)
        let task = try Loom.models.dualEncoder(at: folder)
        if task.isVisionOnly, !texts.isEmpty, let reason = task.whyNoText {
            // Said before any image is embedded: every text would fail for this one reason.
            throw ValidationError("--text: \(reason)")
        }

        var lines: [String] = []
        var failed = 0
        func emit(key: String, name: String, _ embedding: [Float]) throws {
            let line: String
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                line = String(decoding: try encoder.encode([key: EmbeddingValue.name(name), "embedding": .values(embedding)]), as: UTF8.self)
            } else {
                line = name + "\t" + embedding.map { "\($0)" }.joined(separator: ",")
            }
            if outputURL == nil { print(line) } else { lines.append(line) }
        }
        for input in inputs {
            let name = DisplayPath.of(input)
            do {
                try emit(key: "path", name: name, try task.imageEmbedding(try ImageDecoder().decode(contentsOf: input)))
            } catch {
                failed += 1
                let message = "\(error)"
                printErr("error: " + (message.contains(DisplayPath.escaping(input.lastPathComponent)) ? message : "\(name): \(message)"))
            }
        }
        for text in texts {
            do {
                try emit(key: "text", name: text, try task.textEmbedding(text))
            } catch {
                failed += 1
                printErr("error: text \"\(text)\": \(error)")
            }
        }
        if let outputURL {
            try writer.write(lines.map { $0 + "\n" }.joined(), to: outputURL)
            printErr("wrote \(lines.count) embeddings (\(task.dimension) values each) to \(outputURL.path)")
        }
        if failed > 0 { throw ExitCode.failure }
    }
}

/// A JSON value of an embedding line: the name or the numbers.
enum EmbeddingValue: Encodable {
    case name(String)
    case values([Float])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .name(let name): try container.encode(name)
        case .values(let values): try container.encode(values)
        }
    }
}
