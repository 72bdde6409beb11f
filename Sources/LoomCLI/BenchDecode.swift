import ArgumentParser

struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode")
}
