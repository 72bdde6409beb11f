import Foundation
import LoomMedia

extension PreparedPipeline {
    /// The plan as `loom run --dry-run` prints it: inputs, models, steps in run order with their
    /// parameters (defaults filled in), where results go, and the files found.
    public func describe(fileCount: Int?) -> String {
        let spec = plan.spec
        var lines = ["pipeline \(spec.name) (\(DisplayPath.of(spec.file)))", "inputs:"]
        for input in spec.inputs {
            var details = [input.media.sorted().map(\.rawValue).joined(separator: "+"), input.recursive ? "recursive" : "top level only"]
            if !input.include.isEmpty { details.append("include " + input.include.joined(separator: " ")) }
            if !input.exclude.isEmpty { details.append("exclude " + input.exclude.joined(separator: " ")) }
            lines.append("  \(DisplayPath.of(input.path)) (\(details.joined(separator: ", ")))")
        }
        let usedModels = Set(plan.steps.flatMap { $0.models.values.map(\.name) })
        if !usedModels.isEmpty {
            lines.append("models (each loaded once, when first needed):")
            for model in spec.models where usedModels.contains(model.name) {
                lines.append("  \(model.name) = \(model.source)")
            }
        }
        lines.append("steps, in run order:")
        let idWidth = plan.steps.map(\.id.count).max() ?? 0
        for (index, step) in steps.enumerated() {
            let planned = step.plan
            var line = "  \(index + 1). \(planned.id.padding(toLength: idWidth, withPad: " ", startingAt: 0))  \(planned.spec.uses)"
            if !planned.needs.isEmpty { line += " <- " + planned.needs.joined(separator: ", ") }
            line += "  [\(planned.mediaKinds.sorted().map(\.rawValue).joined(separator: "+"))]"
            let parameters = planned.parameters.values.keys.sorted().map { "\($0)=\(IndexStep.shown("\(planned.parameters[$0]!)"))" }
            if !parameters.isEmpty { line += "  " + parameters.joined(separator: " ") }
            if planned.spec.optional { line += "  (optional)" }
            lines.append(line)
            if let reason = step.unavailable { lines.append("     skipped: \(reason)") }
            if let write = step.instance as? WriteStep {
                let example = layout.folder.map { DisplayPath.of($0) + "/..." } ?? "next to each input"
                lines.append("     writes NAME\(write.suffix).{\(write.formats.joined(separator: ","))} \(example)")
            }
        }
        let where_ = layout.folder.map { "mirrored under \(DisplayPath.of($0))" } ?? "next to each input"
        lines.append("outputs: \(where_) (naming: \(layout.naming.rawValue))")
        if let manifest = layout.manifest { lines.append("manifest: \(DisplayPath.of(manifest))") }
        lines.append("cache: \(DisplayPath.of(layout.cacheFolder))")
        lines.append("concurrency: \(spec.concurrency), on_error: \(spec.onError.rawValue)")
        if let fileCount { lines.append("\(fileCount) file\(fileCount == 1 ? "" : "s") to process") }
        return lines.joined(separator: "\n")
    }
}
