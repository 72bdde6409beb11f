import Foundation
import LoomModelStore

/// Which vision model a command needs, and the files its Hugging Face folder must hold.
public enum VisionModelKind: Sendable, Equatable {
    /// Idefics3 / SmolVLM for `caption` and `ask`.
    case visionLanguage
    /// A CLIP or SigLIP dual encoder for `embed`.
    case dualEncoder

    /// The folder name under `$LOOM_HOME/models/` used when no `--model` is given.
    public var defaultName: String {
        switch self {
        case .visionLanguage: "smolvlm-256m-instruct"
        case .dualEncoder: "clip-vit-base-patch32"
        }
    }

    /// What to give, in words, for messages.
    public var wanted: String {
        switch self {
        case .visionLanguage:
            "a Hugging Face SmolVLM / Idefics3 folder (e.g. HuggingFaceTB/SmolVLM-256M-Instruct) with config.json, "
                + "model.safetensors, tokenizer.json and preprocessor_config.json (processor_config.json, "
                + "chat_template.json and generation_config.json are read when present)"
        case .dualEncoder:
            "a Hugging Face CLIP or SigLIP folder (e.g. openai/clip-vit-base-patch32 or google/siglip-base-patch16-224) "
                + "with config.json, model.safetensors and preprocessor_config.json (tokenizer.json, or spiece.model for SigLIP, for --text)"
        }
    }

    /// Files without which the model cannot run; each entry lists alternatives.
    var requiredFiles: [[String]] {
        switch self {
        case .visionLanguage:
            [["config.json"], ["model.safetensors", "model.safetensors.index.json"], ["tokenizer.json"],
             ["preprocessor_config.json", "processor_config.json"]]
        case .dualEncoder:
            [["config.json"], ["model.safetensors", "model.safetensors.index.json"], ["preprocessor_config.json"]]
        }
    }
}

/// Why no usable vision model folder was found. Each message says which folder to provide and where Loom looks.
public enum VisionModelError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// No `--model` and nothing at the default place.
    /// `fetch` is what `loom models pull` takes to fetch it, when the name is a catalog Hub entry or a Hub repo.
    case noModel(kind: VisionModelKind, searched: String, fetch: String?)
    /// `--model` names neither an existing folder, a folder under the models folder, nor a cached Hub model.
    case notFound(spec: String, kind: VisionModelKind, searched: [String], fetch: String?)
    /// The folder lacks files the model needs.
    case incomplete(folder: String, missing: [String], kind: VisionModelKind)
    /// config.json describes a model the command cannot use.
    case wrongModelType(file: String, found: String, kind: VisionModelKind)

    public var description: String {
        switch self {
        case let .noModel(kind, searched, fetch):
            return "no model given and none installed at \(searched) or in the Hugging Face cache. Loom needs \(kind.wanted). "
                + (fetch.map { "Fetch it once with `loom models pull \($0)`, or pass" } ?? "Pass")
                + " a folder with --model DIR (Loom also looks in $LOOM_HOME/models/NAME for --model NAME)."
        case let .notFound(spec, kind, searched, fetch):
            return "\(spec): no such model folder (looked at \(searched.joined(separator: " and "))). Loom needs \(kind.wanted)."
                + (fetch.map { " Fetch it once with `loom models pull \($0)`." } ?? "")
        case let .incomplete(folder, missing, kind):
            return "\(folder): the model folder lacks \(missing.joined(separator: ", ")). Loom needs \(kind.wanted)."
        case let .wrongModelType(file, found, kind):
            return "\(file): model_type \"\(found)\" cannot be used here. Loom needs \(kind.wanted)."
        }
    }

    public var errorDescription: String? { description }
}

/// Finds the folder of a vision model from what the user passed as `--model`.
public enum VisionModelFolder {
    /// `spec` as a path, else as a folder name under the models folder ($LOOM_HOME/models), else what
    /// `ModelLocator` finds for it (a catalog Hub entry or `ORG/NAME[@REV]` in the Hugging Face cache);
    /// nil `spec` means the kind's default name. The folder must hold the kind's required files.
    public static func resolve(_ spec: String?, kind: VisionModelKind, locator: ModelLocator = ModelLocator()) throws -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let name = spec ?? kind.defaultName
        let expanded = (name as NSString).expandingTildeInPath
        let named = locator.store.modelsFolder.appendingPathComponent(name, isDirectory: true)
        let folder: URL
        if spec != nil, fm.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw VisionModelError.incomplete(folder: expanded, missing: ["(it is a file, not a folder)"], kind: kind)
            }
            folder = URL(fileURLWithPath: expanded, isDirectory: true)
        } else if !name.contains("/"), fm.fileExists(atPath: named.path, isDirectory: &isDirectory), isDirectory.boolValue {
            folder = named
        } else if let located = try? locator.locate(name).url {
            folder = located
        } else {
            let fetch = Catalog.model(named: name)?.hub.map { _ in name } ?? HubRepo(parsing: name).map { "hf:\($0)" }
            if spec == nil { throw VisionModelError.noModel(kind: kind, searched: named.path, fetch: fetch) }
            let hubCache = "the Hugging Face cache at \(locator.store.hub.cacheFolder.path)"
            let searched = name.contains("/") ? [expanded, hubCache] : [expanded, named.path] + (fetch == nil ? [] : [hubCache])
            throw VisionModelError.notFound(spec: name, kind: kind, searched: searched, fetch: fetch)
        }
        let missing = kind.requiredFiles.filter { options in
            !options.contains { fm.fileExists(atPath: folder.appendingPathComponent($0).path) }
        }.map { $0.joined(separator: " or ") }
        if !missing.isEmpty { throw VisionModelError.incomplete(folder: folder.path, missing: missing, kind: kind) }
        return folder
    }
}
