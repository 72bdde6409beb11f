import ArgumentParser
import LoomTasks

@main
struct Loom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Multimodal batch work on the CPU: captions, questions, transcripts and search.",
        subcommands: [
            Transcribe.self, Generate.self, Caption.self, Ask.self, Embed.self, Index.self, Search.self, Run.self,
            Models.self, Inspect.self, Bench.self,
        ])

    /// The process's loaded models: every command gets its models here rather than loading them
    /// itself, as pipelines and a server do.
    static let models = SharedModels()
}
