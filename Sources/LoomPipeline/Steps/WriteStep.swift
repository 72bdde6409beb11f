import Foundation
import LoomMedia
import LoomTasks

/// `uses: write`: result files per item (transcripts as txt/srt/vtt/tsv/json with LoomTasks'
/// writers; captions and answers as txt/json; embeddings as json), each written to a temporary file
/// and renamed, so a killed run never leaves a partial file.
public struct WriteStep: PipelineStep {
    public static let kind = "write"
    public static let summary = "result files next to each input or under the output folder"
    public static let parameters = [
        ParameterSpec("formats", .list(allowed: ["txt", "srt", "vtt", "tsv", "json"]), default: .list(["txt"]), help: "file formats to write"),
        ParameterSpec("suffix", .string, default: .string(""), help: "added to the name before the extension (photo.caption.txt)"),
    ]
    public static let accepts: Set<ArtifactKind> = [.transcript, .text, .embeddings]
    public static let produces = ArtifactKind.files
    public static let mediaKinds: Set<MediaKind>? = nil

    static let timedFormats: Set<String> = ["srt", "vtt", "tsv"]

    public static func check(_ parameters: StepParameters, sources: [ArtifactKind]) -> [(String?, String)] {
        let formats = Set(parameters["formats"]?.list ?? [])
        var problems: [(String?, String)] = []
        if !formats.isDisjoint(with: timedFormats) && !sources.contains(.transcript) {
            problems.append(("formats", "formats: srt, vtt and tsv need a transcript; this step's needs give none"))
        }
        if sources.filter({ $0 != .indexed && $0 != .files && $0 != .media }).count > 1 {
            problems.append((nil, "a write step takes one source of results; its needs give several, which would write the same files (use one write step per source, with a suffix)"))
        }
        if let suffix = parameters["suffix"]?.string, suffix.contains("/") {
            problems.append(("suffix", "suffix: no slashes"))
        }
        return problems
    }

    let formats: [String]
    let suffix: String
    let layout: OutputLayout
    let writer: OutputWriter

    public init(_ setup: StepSetup) throws {
        formats = setup.parameters["formats"]?.list ?? ["txt"]
        suffix = setup.parameters["suffix"]?.string ?? ""
        layout = setup.layout
        writer = setup.writer
    }

    /// The files this step writes for `input` (the runner checks them for collisions before starting).
    public func outputs(for input: URL) -> [URL] {
        formats.map { layout.output(for: input, suffix: suffix, extension: $0) }
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        guard let source = inputs.first(where: { [.transcript, .text, .embeddings].contains($0.artifact.kind) }) else { return nil }
        var written: [String] = []
        var refused: [OutputWriter.Refusal] = []
        for format in formats {
            guard let content = try Self.render(source.artifact, format: format, item: item) else { continue }
            let url = layout.output(for: item.url, suffix: suffix, extension: format)
            do {
                try writer.write(content, to: url)
                written.append(url.path)
            } catch let refusal as OutputWriter.Refusal {
                refused.append(refusal)
            }
        }
        // The files that may be written are; the item still fails, so the refusal is reported
        // (and not cached) on every run until the user moves the file or says --overwrite.
        if !refused.isEmpty { throw OutputsRefused(refusals: refused) }
        return .files(written)
    }

    public func isStillValid(_ cached: Artifact) -> Bool {
        guard case .files(let paths) = cached else { return false }
        return paths.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// The file's content, or nil when the format does not fit the result (srt of a caption).
    static func render(_ artifact: Artifact, format: String, item: PipelineItem) throws -> String? {
        switch artifact {
        case .transcript(let transcript):
            return try TranscriptFormat(rawValue: format)?.render(transcript)
        case .text(let text):
            switch format {
            case "txt": return text.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
            case "json": return try json(["path": item.relativePath, "text": text])
            default: return nil
            }
        case .embeddings(let embeddings):
            guard format == "json" else { return nil }
            let object = embeddings.map { embedding -> [String: Any] in
                var entry: [String: Any] = ["source": embedding.source, "vector": embedding.vector.map(Double.init)]
                if let text = embedding.text { entry["text"] = text }
                return entry
            }
            return try json(["path": item.relativePath, "embeddings": object])
        default:
            return nil
        }
    }

    static func json(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Result files a write step was refused (an input, or a file Loom did not write, is in the way).
struct OutputsRefused: Error, CustomStringConvertible {
    let refusals: [OutputWriter.Refusal]
    var description: String { refusals.map(\.description).joined(separator: "; ") }
}
