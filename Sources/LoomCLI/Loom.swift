import ArgumentParser

@main
struct Loom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Multimodal batch work on the CPU: captions, questions, transcripts and search.",
        version: BuildInfo.description,
        subcommands: [
            Transcribe.self, Generate.self, Caption.self, Ask.self, Embed.self, Index.self, Search.self, Run.self,
            Models.self, Inspect.self, Bench.self,
        ])
}
