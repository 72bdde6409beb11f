import Foundation
import LoomMedia
import Yams

/// Reads a pipeline file into a `PipelineSpec`, keeping each value's line and column (Yams' node
/// API, https://github.com/jpsim/Yams/blob/main/Sources/Yams/Node.swift) so every later check can
/// point at the text that caused it. Layout follows GitHub Actions / Jina Flow: `steps` keyed by id,
/// each with `uses:`, `with:` and `needs:`.
public struct PipelineParser {
    let file: URL
    let path: String
    var errors: [PipelineError] = []

    static let topKeys = ["name", "inputs", "models", "steps", "outputs", "concurrency", "on_error"]
    static let inputKeys = ["path", "include", "exclude", "recursive", "media"]
    static let stepKeys = ["uses", "with", "needs", "model", "optional"]
    static let outputKeys = ["folder", "manifest", "naming"]

    public static func parse(contentsOf file: URL) throws -> PipelineSpec {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw PipelineErrors([PipelineError(.syntax, at: nil, "\(file.path): cannot read the pipeline file: \(error.localizedDescription)")])
        }
        return try parse(yaml: text, file: file)
    }

    public static func parse(yaml: String, file: URL) throws -> PipelineSpec {
        var parser = PipelineParser(file: file.standardizedFileURL, path: DisplayPath.of(file))
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PipelineErrors([parser.syntaxError(error)])
        }
        guard let root, let top = root.mapping else {
            throw PipelineErrors([PipelineError(.syntax, at: parser.at(root), "a pipeline file is a mapping with name, inputs, models, steps and outputs")])
        }
        let spec = parser.spec(top, root: root)
        if !parser.errors.isEmpty { throw PipelineErrors(parser.errors) }
        return spec
    }

    func at(_ node: Node?) -> PipelineLocation {
        let mark = node?.mark
        return PipelineLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func syntaxError(_ error: YamlError) -> PipelineError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PipelineError(.syntax, at: PipelineLocation(file: path, line: mark.line, column: mark.column), "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PipelineError(.syntax, at: PipelineLocation(file: path, line: context.mark.line, column: context.mark.column),
                                 "duplicate key \(duplicates.joined(separator: ", ")): each key may appear once")
        default:
            return PipelineError(.syntax, at: PipelineLocation(file: path, line: 1, column: 1), "YAML: \(error)")
        }
    }

    mutating func fail(_ kind: PipelineError.Kind, _ node: Node?, _ message: String) {
        errors.append(PipelineError(kind, at: at(node), message))
    }

    /// Key -> (key node, value node), reporting keys the section does not know.
    mutating func entries(_ mapping: Node.Mapping, allowed: [String], section: String) -> [String: (Node, Node)] {
        var result: [String: (Node, Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { fail(.syntax, key, "\(section): keys must be words"); continue }
            if !allowed.contains(name) {
                fail(.unknownKey, key, "unknown key '\(name)' in \(section); known keys: \(allowed.joined(separator: ", "))")
                continue
            }
            result[name] = (key, value)
        }
        return result
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { fail(.wrongType, node, "\(what): expected a string"); return nil }
        return scalar.string
    }

    mutating func strings(_ node: Node, _ what: String) -> [String] {
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else { fail(.wrongType, node, "\(what): expected a list of strings"); return [] }
        return sequence.compactMap { string($0, what) }
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if let scalar = node.scalar, scalar.style == .plain {
            switch scalar.string.lowercased() {
            case "true", "yes": return true
            case "false", "no": return false
            default: break
            }
        }
        fail(.wrongType, node, "\(what): expected true or false")
        return nil
    }

    func resolve(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL }
        return file.deletingLastPathComponent().appendingPathComponent(expanded).standardizedFileURL
    }

    mutating func spec(_ top: Node.Mapping, root: Node) -> PipelineSpec {
        let keys = entries(top, allowed: Self.topKeys, section: "the pipeline")
        var spec = PipelineSpec(
            name: file.deletingPathExtension().lastPathComponent, file: file, inputs: [], models: [], steps: [],
            outputs: OutputSpec(folder: nil, manifest: "manifest.jsonl", naming: .stem, location: at(root)),
            concurrency: 2, onError: .skip, location: at(root))
        if let (_, node) = keys["name"], let name = string(node, "name") { spec.name = name }
        if let (_, node) = keys["inputs"] { spec.inputs = inputs(node) } else { fail(.missingKey, root, "missing 'inputs:' (the folders to read)") }
        if let (_, node) = keys["models"] { spec.models = models(node) }
        if let (_, node) = keys["steps"] { spec.steps = steps(node) } else { fail(.missingKey, root, "missing 'steps:'") }
        if let (_, node) = keys["outputs"] { spec.outputs = outputs(node) }
        if let (_, node) = keys["concurrency"] {
            if let scalar = node.scalar, scalar.style == .plain, let n = Int(scalar.string), (1...64).contains(n) {
                spec.concurrency = n
            } else {
                fail(.wrongType, node, "concurrency: expected an integer in 1...64")
            }
        }
        if let (_, node) = keys["on_error"], let word = string(node, "on_error") {
            if let policy = ErrorPolicy(rawValue: word) { spec.onError = policy } else { fail(.badValue, node, "on_error: '\(word)' is not skip or stop") }
        }
        return spec
    }

    mutating func inputs(_ node: Node) -> [InputSpec] {
        let items = node.sequence.map(Array.init) ?? [node]
        return items.compactMap { item in
            var input = InputSpec(path: file.deletingLastPathComponent(), include: [], exclude: [], recursive: false,
                                  media: MediaKind.decodable, location: at(item))
            if let scalar = item.scalar {
                input.path = resolve(scalar.string)
                return input
            }
            guard let mapping = item.mapping else { fail(.wrongType, item, "inputs: each entry is a path or a mapping with path:"); return nil }
            let keys = entries(mapping, allowed: Self.inputKeys, section: "an input")
            guard let (_, pathNode) = keys["path"], let path = string(pathNode, "path") else {
                fail(.missingKey, item, "an input needs 'path:' (a folder or file)")
                return nil
            }
            input.path = resolve(path)
            if let (_, n) = keys["include"] { input.include = strings(n, "include") }
            if let (_, n) = keys["exclude"] { input.exclude = strings(n, "exclude") }
            if let (_, n) = keys["recursive"], let value = bool(n, "recursive") { input.recursive = value }
            if let (_, n) = keys["media"] {
                var kinds = Set<MediaKind>()
                for word in strings(n, "media") {
                    if let kind = MediaKind(rawValue: word), MediaKind.decodable.contains(kind) { kinds.insert(kind) } else { fail(.badValue, n, "media: '\(word)' is not image or audio") }
                }
                input.media = kinds
            }
            return input
        }
    }

    mutating func models(_ node: Node) -> [ModelSpec] {
        guard let mapping = node.mapping else { fail(.wrongType, node, "models: expected a mapping of name: catalog name or path"); return [] }
        return mapping.compactMap { key, value in
            guard let name = key.scalar?.string else { return nil }
            if let source = value.scalar?.string, !source.isEmpty {
                return ModelSpec(name: name, source: source, location: at(value))
            }
            if let inner = value.mapping {
                let keys = entries(inner, allowed: ["name", "path"], section: "model '\(name)'")
                if let (_, n) = keys["path"] ?? keys["name"], let source = string(n, "model '\(name)'") {
                    let isPath = keys["path"] != nil
                    return ModelSpec(name: name, source: isPath ? resolve(source).path : source, location: at(n))
                }
            }
            fail(.wrongType, value, "model '\(name)': expected a catalog name (loom models list) or {path: FOLDER}")
            return nil
        }
    }

    mutating func steps(_ node: Node) -> [StepSpec] {
        guard let mapping = node.mapping else { fail(.wrongType, node, "steps: expected a mapping of step id: {uses: ...}"); return [] }
        return mapping.compactMap { key, value in
            guard let id = key.scalar?.string, !id.isEmpty, !id.contains(".") else {
                fail(.badValue, key, "a step id is a word without dots"); return nil
            }
            guard let body = value.mapping else { fail(.wrongType, value, "step '\(id)': expected a mapping with uses:"); return nil }
            let keys = entries(body, allowed: Self.stepKeys, section: "step '\(id)'")
            guard let (_, usesNode) = keys["uses"], let uses = string(usesNode, "uses") else {
                fail(.missingKey, value, "step '\(id)' needs 'uses:' (decode, caption, ask, transcribe, embed, index or write)")
                return nil
            }
            var step = StepSpec(id: id, uses: uses, usesLocation: at(usesNode), needs: [], with: [], optional: false, location: at(key))
            if let (_, n) = keys["needs"] {
                let items = n.sequence.map(Array.init) ?? [n]
                step.needs = items.compactMap { item in string(item, "needs").map { ($0, at(item)) } }
            }
            if let (_, n) = keys["model"], let name = string(n, "model") {
                step.with.append(("model", .scalar(name, quoted: false), at(n)))
            }
            if let (_, n) = keys["optional"], let value = bool(n, "optional") { step.optional = value }
            if let (_, n) = keys["with"] {
                if let parameters = n.mapping {
                    for (k, v) in parameters {
                        guard let name = k.scalar?.string else { continue }
                        step.with.append((name, Self.raw(v), at(k)))
                    }
                } else if n.scalar?.string.isEmpty != true {
                    fail(.wrongType, n, "step '\(id)': with: expected a mapping of parameter: value")
                }
            }
            return step
        }
    }

    mutating func outputs(_ node: Node) -> OutputSpec {
        var output = OutputSpec(folder: nil, manifest: "manifest.jsonl", naming: .stem, location: at(node))
        guard let mapping = node.mapping else { fail(.wrongType, node, "outputs: expected a mapping with folder, manifest, naming"); return output }
        let keys = entries(mapping, allowed: Self.outputKeys, section: "outputs")
        if let (_, n) = keys["folder"], let folder = string(n, "folder") { output.folder = resolve(folder) }
        if let (_, n) = keys["manifest"] {
            if let scalar = n.scalar, scalar.style == .plain, ["false", "no"].contains(scalar.string) {
                output.manifest = nil
            } else if let name = string(n, "manifest") {
                if name.contains("/") { fail(.badValue, n, "manifest: a file name, written in the output folder") } else { output.manifest = name }
            }
        }
        if let (_, n) = keys["naming"], let word = string(n, "naming") {
            if let naming = OutputSpec.Naming(rawValue: word) { output.naming = naming } else { fail(.badValue, n, "naming: '\(word)' is not stem or filename") }
        }
        return output
    }

    static func raw(_ node: Node) -> RawValue {
        if let scalar = node.scalar { return .scalar(scalar.string, quoted: scalar.style != .plain) }
        if let sequence = node.sequence {
            let words = sequence.compactMap { $0.scalar?.string }
            return words.count == sequence.count ? .list(words) : .mapping
        }
        return .mapping
    }
}
