import Foundation
import LoomModelStore
import LoomTasks

/// A plan made ready to run: models found on disk (not loaded), steps built, and the steps that
/// cannot run here (no engine or model) set aside with the reason, when they are `optional`.
public struct PreparedPipeline: Sendable {
    public struct Step: Sendable {
        public let plan: PlannedStep
        public let instance: (any PipelineStep)?
        /// Why it is skipped on this machine (only `optional: true` steps get here).
        public let unavailable: String?
        /// Model identities by parameter name, for cache keys.
        public let modelIdentities: [String]
        /// Steps needing this one.
        public let dependents: [String]
    }

    public let plan: PipelinePlan
    public let layout: OutputLayout
    /// The run's one output writer: the runner tells it the inputs, steps and the manifest write through it.
    public let writer: OutputWriter
    public let steps: [Step]
    /// Where steps get their models (from the process's `SharedModels`), recording which the run used.
    public let pipelineModels: PipelineModels
    /// What non-optional steps lack (only when not `strict`; a strict preparation throws them).
    public let problems: [PipelineError]

    /// Finds models and checks engines. What a non-optional step lacks is a located error: thrown
    /// when `strict`, else kept in `problems` (a dry run prints the plan and then them).
    /// `overwrite`: existing files that Loom did not write may be replaced (never inputs).
    public init(_ plan: PipelinePlan, engines: PipelineEngines, pipelineModels: PipelineModels = PipelineModels(),
                locator: ModelLocator = ModelLocator(), strict: Bool = true, overwrite: Bool = false) throws {
        self.plan = plan
        self.pipelineModels = pipelineModels
        let writer = OutputWriter(kind: "run", overwrite: overwrite)
        self.writer = writer
        let spec = plan.spec
        layout = OutputLayout(folder: spec.outputs.folder, inputRoots: spec.inputs.map(\.path),
                              naming: spec.outputs.naming, manifestName: spec.outputs.manifest)
        var errors: [PipelineError] = []
        var located: [String: Result<ResolvedModel, Error>] = [:]
        // Vision models are Hugging Face folders (given, under the models folder, or in the Hub cache),
        // and the message for a missing one says which folder, where Loom looks and how to fetch it.
        let visionModels = Set(plan.steps.filter { [CaptionStep.kind, AskStep.kind].contains($0.spec.uses) }
            .flatMap { $0.models.values.map(\.name) })
        for model in spec.models where plan.steps.contains(where: { $0.models.values.contains { $0.name == model.name } }) {
            located[model.name] = Result {
                let location = visionModels.contains(model.name)
                    ? try locator.locate(VisionModelFolder.resolve(
                        model.source, kind: .visionLanguage, locator: locator).path)
                    : try locator.locate(model.source)
                return ResolvedModel(spec: model, location: location, identity: Self.identity(of: location))
            }
        }
        var stepModels: [String: ResolvedModel] = [:]
        var built: [Step] = []
        for step in plan.steps {
            var resolved: [String: ResolvedModel] = [:]
            var reason: String?
            for (parameter, model) in step.models.sorted(by: { $0.key < $1.key }) {
                switch located[model.name]! {
                case .success(let found): resolved[parameter] = found
                case .failure(let error):
                    let noun = [CaptionStep.kind, AskStep.kind].contains(step.spec.uses) ? "vision model" : "model"
                    reason = reason ?? "\(noun) '\(model.name)' (\(model.source)) is not available: \(error) "
                        + "(give one with --set models.\(model.name)=PATH)"
                    if !step.spec.optional {
                        errors.append(PipelineError(.missingModel, at: model.location, "model '\(model.name)': \(error)"))
                    }
                }
            }
            let setup = StepSetup(
                id: step.id, parameters: step.parameters, models: resolved, pipelineModels: pipelineModels, engines: engines, layout: layout, writer: writer,
                sourceSteps: Dictionary(uniqueKeysWithValues: step.needs.map { ($0, plan.step($0)!.spec.uses) }),
                upstreamModels: stepModels.filter { step.needs.contains($0.key) })
            if reason == nil { reason = step.type.unavailableReason(setup) }
            if let why = reason, !step.spec.optional, resolved.count == step.models.count {
                errors.append(PipelineError(.unavailable, at: step.spec.usesLocation,
                                            "step '\(step.id)': \(why); mark the step `optional: true` to run the rest without it"))
            }
            var instance: (any PipelineStep)?
            if reason == nil {
                do { instance = try step.type.init(setup) } catch {
                    errors.append(PipelineError(.badValue, at: step.spec.location, "step '\(step.id)': \(error)"))
                }
            }
            stepModels[step.id] = resolved["model"]
            built.append(Step(plan: step, instance: instance, unavailable: reason,
                              modelIdentities: resolved.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.identity)" },
                              dependents: plan.steps.filter { $0.needs.contains(step.id) }.map(\.id)))
        }
        if strict && !errors.isEmpty { throw PipelineErrors(errors) }
        problems = errors
        steps = built
    }

    public func step(_ id: String) -> Step? { steps.first { $0.plan.id == id } }

    /// Catalog name or path, with each weight file's size and modification time: a re-pulled or
    /// edited model gets new cache keys without hashing gigabytes.
    static func identity(of location: ModelLocation) -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        _ = fm.fileExists(atPath: location.url.path, isDirectory: &isDirectory)
        let files = isDirectory.boolValue
            ? ((try? fm.contentsOfDirectory(atPath: location.url.path)) ?? []).sorted().map { location.url.appendingPathComponent($0) }
            : [location.url]
        let stamps = files.compactMap { url -> String? in
            guard let attributes = try? fm.attributesOfItem(atPath: url.path), attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(url.lastPathComponent):\(size):\(Int64(date))"
        }
        return (location.catalogName ?? location.url.path) + "#" + StepCache.key(stamps).prefix(16)
    }
}
