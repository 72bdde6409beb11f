import ArgumentParser
import LoomMedia
import LoomTasks

@main
struct Loom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Multimodal batch work on the CPU: captions, questions, transcripts and search.",
        version: BuildInfo.description,
        subcommands: [
            Transcribe.self, Generate.self, Caption.self, Ask.self, OCR.self, Embed.self, Index.self, Search.self, Run.self,
            Worker.self, Queue.self, Serve.self, Models.self, Inspect.self, Bench.self,
        ])

    /// Parses the raw `argv` bytes: `CommandLine.arguments` turns a file name that is not UTF-8
    /// into one no file has (see `FileSystemPath`).
    /// Async so `loom serve` can run; the other commands stay synchronous.
    static func main() async {
        await main(Array(FileSystemPath.arguments.dropFirst()))
    }
    /// The process's loaded models: every command gets its models here rather than loading them
    /// itself, as pipelines and a server do.
    static let models = SharedModels()
}
