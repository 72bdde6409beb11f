import Foundation
import LoomMedia

/// A step after validation: its kind, checked parameters with defaults, and its place in the DAG.
public struct PlannedStep: Sendable {
    public let spec: StepSpec
    public let parameters: StepParameters
    /// Model parameters (`model`, `vad_model`) resolved to the `models:` entries they name.
    public let models: [String: ModelSpec]
    public let needs: [String]
    /// The media this step can see: its kind's media, narrowed by its needs and the inputs.
    public let mediaKinds: Set<MediaKind>

    public var id: String { spec.id }
    public var type: any PipelineStep.Type { StepCatalog.kind(named: spec.uses)! }
}

/// A pipeline that passed every check, steps in an order where needs come first.
public struct PipelinePlan: Sendable {
    public let spec: PipelineSpec
    public let steps: [PlannedStep]

    public func step(_ id: String) -> PlannedStep? { steps.first { $0.id == id } }
}

/// Checks a pipeline before anything runs: step kinds, parameters and their types, models, needs
/// (unknown, cycles, incompatible results) and outputs that two steps would both write.
/// Every problem found is reported, each at its file:line:column.
public enum PipelineValidator {
    public static func validate(_ spec: PipelineSpec) throws -> PipelinePlan {
        var errors: [PipelineError] = []
        var checked: [String: (StepParameters, [String: ModelSpec])] = [:]
        let ids = Set(spec.steps.map(\.id))
        let known = StepCatalog.kinds.map { $0.kind }

        for input in spec.inputs {
            do { try MediaWalker.check(input.path) } catch {
                errors.append(PipelineError(.badValue, at: input.location, "input \(DisplayPath.escaping(input.path.path)): \(error.reason)"))
            }
        }
        for input in spec.inputs where input.media.isEmpty {
            errors.append(PipelineError(.badValue, at: input.location, "input \(input.path.path): media: give image, audio or both"))
        }
        for step in spec.steps {
            guard let type = StepCatalog.kind(named: step.uses) else {
                errors.append(PipelineError(.unknownStep, at: step.usesLocation,
                                            "step '\(step.id)': unknown step kind '\(step.uses)'; use one of \(known.joined(separator: ", "))"))
                continue
            }
            var values: [String: ParameterValue] = [:]
            var models: [String: ModelSpec] = [:]
            for (name, raw, location) in step.with {
                guard let parameter = type.parameters.first(where: { $0.name == name }) else {
                    let names = type.parameters.map(\.name).joined(separator: ", ")
                    errors.append(PipelineError(.unknownParameter, at: location,
                                                "step '\(step.id)' (\(step.uses)): unknown parameter '\(name)'; it takes \(names.isEmpty ? "none" : names)"))
                    continue
                }
                switch parameter.type.check(raw) {
                case .bad(let message):
                    errors.append(PipelineError(.wrongType, at: location, "step '\(step.id)': \(name): \(message)"))
                case .ok(let value):
                    values[name] = value
                    if parameter.type == .model, let modelName = value.string {
                        if let model = spec.model(named: modelName) {
                            models[name] = model
                        } else {
                            let declared = spec.models.map(\.name)
                            errors.append(PipelineError(.missingModel, at: location,
                                "step '\(step.id)': model '\(modelName)' is not declared under models: "
                                + (declared.isEmpty ? "(none are); add `models: {\(modelName): CATALOG-NAME-OR-PATH}`" : "(declared: \(declared.joined(separator: ", ")))")))
                        }
                    }
                }
            }
            for parameter in type.parameters where values[parameter.name] == nil {
                if parameter.required {
                    errors.append(PipelineError(.missingKey, at: step.location,
                                                "step '\(step.id)' (\(step.uses)): missing parameter '\(parameter.name)' (\(parameter.help))"))
                } else if let value = parameter.defaultValue {
                    values[parameter.name] = value
                }
            }
            for (need, location) in step.needs where !ids.contains(need) {
                errors.append(PipelineError(.unknownNeed, at: location, "step '\(step.id)' needs '\(need)', which is not a step here"))
            }
            checked[step.id] = (StepParameters(values), models)
        }
        if let cycle = findCycle(spec.steps) {
            let step = spec.steps.first { $0.id == cycle[0] }!
            errors.append(PipelineError(.cycle, at: step.location, "steps depend on each other in a cycle: \(cycle.joined(separator: " -> "))"))
        }
        guard errors.isEmpty else { throw PipelineErrors(errors) }

        // Kinds, parameters and needs are sound; now check what flows along each need.
        let inputMedia = spec.inputs.reduce(into: Set<MediaKind>()) { $0.formUnion($1.media) }
        var planned: [String: PlannedStep] = [:]
        var order: [PlannedStep] = []
        for step in topologicalOrder(spec.steps) {
            let type = StepCatalog.kind(named: step.uses)!
            let needs = step.needs.map(\.id)
            var sources: [ArtifactKind] = []
            var media = Set<MediaKind>()
            for (need, location) in step.needs {
                let source = planned[need]!
                let produced = source.type.produces
                if !type.accepts.contains(produced) {
                    let wanted = type.accepts.isEmpty ? "no needs (it reads the file)" : type.accepts.map(\.rawValue).sorted().joined(separator: " or ")
                    errors.append(PipelineError(.incompatibleInput, at: location,
                        "step '\(step.id)' (\(step.uses)) takes \(wanted), but '\(need)' (\(source.spec.uses)) gives \(produced.rawValue)"))
                }
                sources.append(produced)
                media.formUnion(source.mediaKinds)
            }
            if !type.accepts.isEmpty && step.needs.isEmpty {
                let hint = type.accepts.contains(.media) ? "a decode step" : "a step giving " + type.accepts.map(\.rawValue).sorted().joined(separator: " or ")
                errors.append(PipelineError(.missingKey, at: step.location, "step '\(step.id)' (\(step.uses)) has no needs; add `needs: [...]` naming \(hint)"))
            }
            // A step with no needs is either decode or already reported; either way it sees the inputs.
            if step.needs.isEmpty { media = inputMedia }
            if let own = type.mediaKinds { media.formIntersection(own) }
            if media.isEmpty && !step.needs.isEmpty {
                errors.append(PipelineError(.incompatibleInput, at: step.location,
                    "step '\(step.id)' (\(step.uses)) works on \(type.mediaKinds?.map(\.rawValue).sorted().joined(separator: ", ") ?? "media"), which its needs and inputs never give"))
            }
            let (parameters, models) = checked[step.id]!
            for (parameter, message) in type.check(parameters, sources: sources) {
                let location = parameter.flatMap { name in step.with.first { $0.name == name }?.location } ?? step.location
                errors.append(PipelineError(.badValue, at: location, "step '\(step.id)': \(message)"))
            }
            let plannedStep = PlannedStep(spec: step, parameters: parameters, models: models, needs: needs, mediaKinds: media)
            planned[step.id] = plannedStep
            order.append(plannedStep)
        }
        errors += writeCollisions(order)
        guard errors.isEmpty else { throw PipelineErrors(errors) }
        return PipelinePlan(spec: spec, steps: order)
    }

    /// Two write steps that would write the same file for the same input.
    static func writeCollisions(_ steps: [PlannedStep]) -> [PipelineError] {
        let writes = steps.filter { $0.spec.uses == WriteStep.kind }
        var errors: [PipelineError] = []
        for (i, later) in writes.enumerated() {
            for earlier in writes[..<i] where earlier.parameters["suffix"] == later.parameters["suffix"] {
                let shared = Set(earlier.parameters["formats"]?.list ?? []).intersection(later.parameters["formats"]?.list ?? [])
                guard !shared.isEmpty, !earlier.mediaKinds.isDisjoint(with: later.mediaKinds) else { continue }
                errors.append(PipelineError(.outputCollision, at: later.spec.location,
                    "steps '\(earlier.id)' and '\(later.id)' would both write NAME.\(shared.sorted().joined(separator: "/")) for the same "
                    + "\(earlier.mediaKinds.intersection(later.mediaKinds).map(\.rawValue).sorted().joined(separator: "/")) inputs; give one a different `suffix:`"))
            }
        }
        return errors
    }

    /// One cycle among the steps' needs (ids, first repeated at the end), or nil.
    static func findCycle(_ steps: [StepSpec]) -> [String]? {
        let needs = Dictionary(steps.map { ($0.id, $0.needs.map(\.id)) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1: on the current path, 2: done
        var path: [String] = []
        func visit(_ id: String) -> [String]? {
            if state[id] == 2 { return nil }
            if state[id] == 1 { return Array(path[path.firstIndex(of: id)!...]) + [id] }
            state[id] = 1
            path.append(id)
            for next in needs[id] ?? [] where needs[next] != nil {
                if let cycle = visit(next) { return cycle }
            }
            path.removeLast()
            state[id] = 2
            return nil
        }
        for step in steps { if let cycle = visit(step.id) { return cycle } }
        return nil
    }

    /// Steps with needs before the steps needing them; file order among the rest (assumes no cycle).
    static func topologicalOrder(_ steps: [StepSpec]) -> [StepSpec] {
        var done = Set<String>()
        var order: [StepSpec] = []
        var remaining = steps
        while !remaining.isEmpty {
            let index = remaining.firstIndex { $0.needs.allSatisfy { done.contains($0.id) } }!
            let step = remaining.remove(at: index)
            done.insert(step.id)
            order.append(step)
        }
        return order
    }
}
