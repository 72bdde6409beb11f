import ArgumentParser
import Foundation
import LoomTensor
import Synchronization
import LoomMedia
import LoomModelStore
import LoomModels
import LoomTasks

/// `loom ocr`: the printed text of each image with PP-OCRv4 (detection, direction, recognition), the
/// model loaded once.
struct OCR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocr",
        abstract: "Read the text printed in images (PP-OCRv4).",
        discussion: """
            Writes NAME.txt (and/or NAME.json, NAME.tsv) next to each image, or under --output-dir \
            (keeping sub-folders apart): txt has one line of text per line found, in reading order; json \
            and tsv add each line's confidence and the four corners of its box in image pixels. Existing \
            outputs are kept unless --overwrite is given. An image that fails is reported and the others \
            go on; the exit status is non-zero when any failed. The model is `loom models pull pp-ocrv4`, \
            or a folder with det.onnx, rec.onnx and cls.onnx given with --model.
            """)

    @Argument(help: "Image files (PNG, JPEG) or folders.")
    var paths: [String]

    @Flag(name: .shortAndLong, help: "Descend into sub-folders.")
    var recursive = false

    @Option(help: "Comma-separated outputs: txt, json, tsv (one file per image).")
    var format = "txt"

    @Option(help: "Folder for the output files (default: next to each image).")
    var outputDir: String?

    @Option(help: "Drop lines read with a lower confidence (0-1).")
    var minConfidence: Float = 0.5

    @Flag(help: "Skip the 180-degree direction classifier (faster; upside-down lines are misread).")
    var noDirection = false

    @Option(help: "The OCR model: a catalog name or a folder with det.onnx and rec.onnx.")
    var model = "pp-ocrv4"

    @Flag(help: "Replace output files that already exist.")
    var overwrite = false

    @Option(help: "Images read at once, each on one thread (default: one per thread when there are several images).")
    var jobs: Int?

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (0...1).contains(minConfidence) else { throw ValidationError("--min-confidence must be between 0 and 1") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        _ = try formats()
    }

    func formats() throws -> [OCRFormat] {
        let formats: [OCRFormat] = try formatList(format)
        guard !formats.isEmpty else { throw ValidationError("--format needs at least one of txt, json, tsv") }
        return formats
    }

    func run() throws {
        compute.apply()
        let formats = try formats()
        let inputs = try MediaWalker.files(in: paths.map { URL(fileURLWithPath: $0) }, recursive: recursive, kinds: [.image])
        guard !inputs.isEmpty else { throw ValidationError("no images found in \(DisplayPath.escaping(paths.joined(separator: " ")))") }
        let plan = try OutputPlan(inputs: inputs, extensions: formats.map(\.rawValue),
                                  outputFolder: outputDir.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let folder = try ModelLocator().locate(model).url
        let loadStart = Date()
        let reader = try Loom.models.textReader(at: folder)
        printErr(String(format: "loaded %@ in %.1f s", folder.path, Date().timeIntervalSince(loadStart)))
        var settings = PPOCR.Options()
        settings.minimumConfidence = minConfidence
        settings.classifiesDirection = !noDirection
        let options = settings

        let writer = OutputWriter(kind: "ocr", overwrite: overwrite, inputs: inputs)
        // Several images at once, one thread each, keep both cores busy through the stages that run
        // on one thread (resizes, crops, box extraction, small operators) and the GEMMs too small to
        // split well: more images per second than one image at a time on all threads.
        let threads = compute.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let workers = min(jobs ?? threads, inputs.count)
        if workers > 1 { ComputeThreads.set(max(1, threads / workers)) }
        let tally = Mutex(BatchTally(count: inputs.count))
        let next = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index: Int = next.withLock { value in defer { value += 1 }; return value }
                guard index < inputs.count else { return }
                let input = inputs[index]
                let name = DisplayPath.of(input)
                let outputs = formats.map { ($0, plan.output(for: input, extension: $0.rawValue)!) }
                let check = writer.check(outputs.map(\.1))
                guard tally.withLock({ $0.needsWork(index, name, check) }) else { continue }
                do {
                    let started = Date()
                    let image = try ImageDecoder().decode(contentsOf: input)
                    let lines = try reader.read(image, options: options)
                    for (format, url) in outputs where check.writable.contains(url) {
                        try writer.write(try format.render(lines, path: name), to: url)
                    }
                    printErr(String(format: "[%d/%d] %@: %d lines in %.2f s", index + 1, inputs.count, name, lines.count,
                                    Date().timeIntervalSince(started)))
                    tally.withLock { $0.done += 1 }
                } catch {
                    tally.withLock { $0.fail(input, error) }
                }
            }
        }
        try tally.withLock { try $0.finish("read") }
    }
}
