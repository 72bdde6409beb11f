import Foundation

/// Decides where each input's results go, before any work starts, so that no two inputs write the same
/// file and no output lands on an input.
///
/// Without an output folder, results go next to their input (`talk.wav` -> `talk.srt`). With one,
/// inputs keep their path below the deepest folder they share, so `a/intro.wav` and `b/intro.wav`
/// become `OUT/a/intro.srt` and `OUT/b/intro.srt` instead of one overwriting the other.
public struct OutputPlan: Sendable {
    public enum PlanError: Error, CustomStringConvertible, Equatable {
        case wouldOverwriteInput(String)
        case collision(output: String, inputs: [String])

        public var description: String {
            switch self {
            case .wouldOverwriteInput(let path):
                return "\(path) is an input; Loom will not write a result over it. Choose another --output-dir or format"
            case .collision(let output, let inputs):
                return "\(inputs.joined(separator: " and ")) would both write \(output); give them different names or use --output-dir"
            }
        }
    }

    /// The output file for each input and extension.
    public let outputs: [URL: [String: URL]]

    public init(inputs: [URL], extensions: [String], outputFolder: URL?) throws {
        let inputs = inputs.map(\.standardizedFileURL)
        let base = outputFolder.map { _ in Self.commonFolder(of: inputs) }
        var outputs: [URL: [String: URL]] = [:]
        var owners: [URL: URL] = [:]
        let inputSet = Set(inputs.map(\.path))
        for input in inputs {
            let stem = input.deletingPathExtension().lastPathComponent
            var folder = input.deletingLastPathComponent()
            if let outputFolder, let base {
                let relative = folder.path.dropFirst(base.path.count).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                folder = relative.isEmpty ? outputFolder : outputFolder.appendingPathComponent(relative, isDirectory: true)
            }
            var byExtension: [String: URL] = [:]
            for ext in extensions {
                let output = folder.appendingPathComponent("\(stem).\(ext)").standardizedFileURL
                if inputSet.contains(output.path) {
                    throw PlanError.wouldOverwriteInput(output.path)
                }
                if let owner = owners[output], owner != input {
                    throw PlanError.collision(output: output.path, inputs: [owner.path, input.path])
                }
                owners[output] = input
                byExtension[ext] = output
            }
            outputs[input] = byExtension
        }
        self.outputs = outputs
    }

    public func output(for input: URL, extension ext: String) -> URL? {
        outputs[input.standardizedFileURL]?[ext]
    }

    /// The deepest folder containing every input.
    static func commonFolder(of inputs: [URL]) -> URL {
        let folders = inputs.map { $0.deletingLastPathComponent().pathComponents }
        guard var common = folders.first else { return URL(fileURLWithPath: "/") }
        for components in folders.dropFirst() {
            common = Array(zip(common, components).prefix { $0 == $1 }.map(\.0))
        }
        return URL(fileURLWithPath: NSString.path(withComponents: common.isEmpty ? ["/"] : common), isDirectory: true)
    }
}
