import ArgumentParser
import Foundation
import LoomMedia
import LoomModelStore
import LoomTasks

/// `loom ask`: a question about one image, the answer streamed to stdout.
struct Ask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a SmolVLM / Idefics3 vision-language model a question about an image.")

    @Argument(help: "The image (PNG or JPEG).")
    var image: String

    @Argument(help: "The question.")
    var question: String

    @Option(help: "Stop after this many new tokens.")
    var maxTokens = 256

    @OptionGroup var vision: VisionGenerationOptions

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("the question is empty") }
    }

    func run() throws {
        compute.apply()
        // The image first: a bad path should not wait for the model to load.
        let decoded = try ImageDecoder().decode(contentsOf: URL(fileURLWithPath: image))
        let folder = try VisionModelFolder.resolve(vision.model, kind: .visionLanguage)
        let task = try Loom.models.visionLanguage(at: folder)
        // Chat models open their answer with a space after "Assistant:"; the printed answer starts at its first word.
        var started = false
        _ = try task.ask(image: decoded, question: question, maxTokens: maxTokens, tiling: vision.tiling, sampling: vision.sampling) { text in
            var piece = Substring(text)
            if !started {
                piece = piece.drop { $0.isWhitespace }
                started = !piece.isEmpty
            }
            FileHandle.standardOutput.write(Data(piece.utf8))
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
