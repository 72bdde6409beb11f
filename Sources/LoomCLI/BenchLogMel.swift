import ArgumentParser

struct BenchLogMel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logmel")
}
