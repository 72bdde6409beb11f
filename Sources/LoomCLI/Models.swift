import ArgumentParser

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List, fetch and locate models.")
}
