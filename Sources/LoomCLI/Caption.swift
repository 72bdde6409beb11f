import ArgumentParser
import Foundation
import LoomMedia
import LoomModelStore
import LoomTasks

/// `loom caption`: one caption per image with a SmolVLM / Idefics3 model, the model loaded once.
struct Caption: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Caption images with a SmolVLM / Idefics3 vision-language model.",
        discussion: """
            Writes NAME.txt (and/or NAME.json) next to each image, or under --output-dir (keeping \
            sub-folders apart); --format jsonl prints one JSON line per image instead. Existing outputs \
            are kept unless --overwrite is given. An image that fails is reported and the others go on; \
            the exit status is non-zero when any failed.
            """)

    @Argument(help: "Image files (PNG, JPEG) or folders.")
    var paths: [String]

    @Flag(name: .shortAndLong, help: "Descend into sub-folders.")
    var recursive = false

    @Option(help: "The instruction given with each image.")
    var prompt = VisionLanguageTask.defaultCaptionPrompt

    @Option(help: "Stop after this many new tokens.")
    var maxTokens = 64

    @Option(help: "Comma-separated outputs: txt, json (one file per image) or jsonl (one line per image on stdout).")
    var format = "txt"

    @Option(help: "Folder for the caption files (default: next to each image).")
    var outputDir: String?

    @Flag(help: "Replace caption files that already exist.")
    var overwrite = false

    @OptionGroup var vision: VisionGenerationOptions

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        let formats = try formats()
        if formats.contains("jsonl") && formats.count > 1 {
            throw ValidationError("--format jsonl prints to stdout and cannot be combined with txt or json")
        }
    }

    func formats() throws -> [String] {
        let names = format.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for name in names where !["txt", "json", "jsonl"].contains(name) {
            throw ValidationError("unknown format '\(name)'; use txt, json or jsonl")
        }
        guard !names.isEmpty else { throw ValidationError("--format needs at least one of txt, json, jsonl") }
        return names
    }

    func run() throws {
        compute.apply()
        let formats = try formats()
        let jsonLines = formats == ["jsonl"]
        let inputs = try MediaWalker.files(in: paths.map { URL(fileURLWithPath: $0) }, recursive: recursive, kinds: [.image])
        guard !inputs.isEmpty else { throw ValidationError("no images found in \(DisplayPath.escaping(paths.joined(separator: " ")))") }
        let plan = try OutputPlan(inputs: inputs, extensions: jsonLines ? [] : formats,
                                  outputFolder: outputDir.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let folder = try VisionModelFolder.resolve(vision.model, kind: .visionLanguage)
        let loadStart = Date()
        let task = try Loom.models.visionLanguage(at: folder)
        printErr(String(format: "loaded %@ in %.1f s", folder.path, Date().timeIntervalSince(loadStart)))

        let writer = OutputWriter(kind: "caption", overwrite: overwrite, inputs: inputs)
        var tally = BatchTally(count: inputs.count)
        for (index, input) in inputs.enumerated() {
            let name = DisplayPath.of(input)
            let outputs = jsonLines ? [] : formats.map { ($0, plan.output(for: input, extension: $0)!) }
            let check = writer.check(outputs.map(\.1))
            if !jsonLines && !tally.needsWork(index, name, check) { continue }
            do {
                let image = try ImageDecoder().decode(contentsOf: input)
                let result = try task.caption(image: image, prompt: prompt, maxTokens: maxTokens, tiling: vision.tiling, sampling: vision.sampling)
                let caption = (result.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let record = CaptionRecord(path: name, caption: caption, prompt: prompt, tokens: result.tokens.count)
                if jsonLines {
                    print(try record.json())
                } else {
                    for (format, url) in outputs where check.writable.contains(url) {
                        try writer.write(format == "json" ? try record.json() + "\n" : caption + "\n", to: url)
                    }
                    print("\(name): \(caption)")
                }
                tally.done += 1
            } catch {
                tally.fail(input, error)
            }
        }
        try tally.finish("captioned")
    }
}

/// One caption as written in NAME.json and in JSON lines.
struct CaptionRecord: Encodable {
    let path: String
    let caption: String
    let prompt: String
    let tokens: Int

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
