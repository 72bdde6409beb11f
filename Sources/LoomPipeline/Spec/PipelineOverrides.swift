import Foundation
import LoomMedia

/// Command-line changes to a pipeline file (`loom run --input --output --set`), applied before
/// validation so a bad override is reported like a bad line, located at the option.
public struct PipelineOverrides: Sendable {
    /// Folders (or files) read instead of the file's inputs, each with the first input's filters.
    public var inputs: [URL]
    /// Where `inputs` came from, as errors about them say: `--input`, or a worker's queue.
    public var inputOrigin: String
    public var output: URL?
    /// `STEP.PARAM=VALUE` (a `with:` parameter, `model` included) or `models.NAME=CATALOG-NAME-OR-PATH`.
    public var settings: [String]

    public init(input: URL? = nil, output: URL? = nil, settings: [String] = []) {
        self.init(inputs: input.map { [$0] } ?? [], inputOrigin: "--input", output: output, settings: settings)
    }

    public init(inputs: [URL], inputOrigin: String, output: URL? = nil, settings: [String] = []) {
        self.inputs = inputs
        self.inputOrigin = inputOrigin
        self.output = output
        self.settings = settings
    }

    public func apply(to spec: PipelineSpec) throws -> PipelineSpec {
        var spec = spec
        var errors: [PipelineError] = []
        if !inputs.isEmpty {
            let first = spec.inputs.first
            spec.inputs = inputs.map { input in
                let location = PipelineLocation(file: "\(inputOrigin) \(input.path)", line: 0, column: 0)
                var read = first ?? InputSpec(path: input, include: [], exclude: [], recursive: true, media: MediaKind.decodable, location: location)
                read.path = input.standardizedFileURL
                read.location = location
                return read
            }
        }
        if let output { spec.outputs.folder = output.standardizedFileURL }
        for setting in settings {
            let location = PipelineLocation(file: "--set \(setting)", line: 0, column: 0)
            guard let equals = setting.firstIndex(of: "="), let dot = setting[..<equals].firstIndex(of: ".") else {
                errors.append(PipelineError(.syntax, at: location, "expected STEP.PARAMETER=VALUE or models.NAME=MODEL"))
                continue
            }
            let target = String(setting[..<dot])
            let name = String(setting[setting.index(after: dot)..<equals])
            let text = String(setting[setting.index(after: equals)...])
            if target == "models" {
                if let index = spec.models.firstIndex(where: { $0.name == name }) {
                    spec.models[index].source = text
                    spec.models[index].location = location
                } else {
                    spec.models.append(ModelSpec(name: name, source: text, location: location))
                }
                continue
            }
            guard let index = spec.steps.firstIndex(where: { $0.id == target }) else {
                errors.append(PipelineError(.unknownStep, at: location,
                    "no step '\(target)'; the steps are \(spec.steps.map(\.id).joined(separator: ", ")) (or use models.NAME=...)"))
                continue
            }
            spec.steps[index].with.removeAll { $0.name == name }
            spec.steps[index].with.append((name, Self.raw(text), location))
        }
        if !errors.isEmpty { throw PipelineErrors(errors) }
        return spec
    }

    /// `[a, b]` or `a,b` is a list; anything else one word.
    static func raw(_ text: String) -> RawValue {
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("[") && body.hasSuffix("]") {
            body = String(body.dropFirst().dropLast())
            return .list(body.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        if body.contains(",") { return .list(body.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        return .scalar(body, quoted: false)
    }
}
