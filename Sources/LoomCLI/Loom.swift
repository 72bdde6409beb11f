import ArgumentParser

@main
struct Loom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Multimodal batch work on the CPU: captions, questions, transcripts and search.",
        subcommands: [Transcribe.self, Run.self, Generate.self, Models.self, Inspect.self, Bench.self])
}
