import Foundation

/// What happened to one item.
public struct ItemOutcome: Sendable {
    public enum StepState: Sendable {
        case done(Artifact)
        /// Nothing to do for this item (another media kind, no text to embed).
        case nothing
        /// The step is not available on this machine.
        case unavailable
    }

    public let item: PipelineItem
    public var states: [String: StepState] = [:]
    /// Steps that ran (not read from the cache), decode excluded.
    public var computed: [String] = []
    public var failure: StepFailure?
    /// Result files not written because an input or a file Loom did not write was in the way.
    public var refusedOutputs = 0
}

/// Runs the step DAG for one item, lazily from the end: a step whose result is cached is read, not
/// run, and its needs are then not evaluated at all, so a finished item decodes nothing and loads
/// no model.
struct ItemProcessor: Sendable {
    let pipeline: PreparedPipeline
    let cache: StepCache

    func process(_ item: PipelineItem) -> ItemOutcome {
        var run = ItemRun(pipeline: pipeline, cache: cache, item: item, outcome: ItemOutcome(item: item))
        do {
            // Index steps last: in a queue worker the index commit also marks the item done, so
            // every other result must exist (or have failed) by then.
            let ends = pipeline.steps.filter { $0.dependents.isEmpty }
            for step in ends.filter({ $0.plan.spec.uses != IndexStep.kind }) + ends.filter({ $0.plan.spec.uses == IndexStep.kind }) {
                _ = try run.resolve(step.plan.id)
            }
            // Results of inner steps that were not needed this time, for the manifest.
            for step in pipeline.steps where run.outcome.states[step.plan.id] == nil {
                if let state = run.peek(step.plan.id) { run.outcome.states[step.plan.id] = state }
            }
        } catch let failure as StepFailure {
            run.outcome.failure = failure
        } catch {
            run.outcome.failure = StepFailure(item: item.displayPath, step: "?", message: "\(error)")
        }
        return run.outcome
    }
}

private struct ItemRun {
    let pipeline: PreparedPipeline
    let cache: StepCache
    let item: PipelineItem
    var outcome: ItemOutcome
    var keys: [String: String] = [:]
    /// Steps whose result depends on an unavailable step: a "nothing" there is not final, so not cached.
    var provisional: Set<String> = []

    /// The cache key: content hash, kind, parameters, models and the keys of the needs. Writing and
    /// indexing also depend on where the file is, since their results name it.
    mutating func key(_ id: String) -> String {
        if let key = keys[id] { return key }
        let step = pipeline.step(id)!
        var parts = ["loom-pipeline-1", item.contentHash, step.plan.spec.uses, step.plan.parameters.canonical]
        if step.plan.type.resultVersion > 1 { parts.append("result-\(step.plan.type.resultVersion)") }
        parts += step.modelIdentities
        parts += step.plan.needs.sorted().map { "\($0)=\(key($0))" }
        if step.plan.spec.uses == WriteStep.kind || step.plan.spec.uses == IndexStep.kind {
            parts += [item.url.path, pipeline.layout.folder?.path ?? "-", pipeline.layout.naming.rawValue]
        }
        let digest = StepCache.key(parts)
        keys[id] = digest
        return digest
    }

    /// A cached result without running anything.
    mutating func peek(_ id: String) -> ItemOutcome.StepState? {
        let step = pipeline.step(id)!
        guard step.plan.mediaKinds.contains(item.kind) else { return .nothing }
        guard step.unavailable == nil else { return .unavailable }
        guard step.plan.type.isCached, let cached = cache.load(key(id)) else { return nil }
        return cached.map { .done($0) } ?? .nothing
    }

    mutating func resolve(_ id: String) throws -> ItemOutcome.StepState {
        if let state = outcome.states[id] { return state }
        let state = try compute(id)
        outcome.states[id] = state
        return state
    }

    private mutating func compute(_ id: String) throws -> ItemOutcome.StepState {
        let step = pipeline.step(id)!
        guard step.plan.mediaKinds.contains(item.kind) else { return .nothing }
        guard let instance = step.instance, step.unavailable == nil else {
            // Its needs still run: their results are kept, and a file that cannot be read is
            // reported as failed, not "ok" because the one step that would have read it is missing.
            for need in step.plan.needs { _ = try resolve(need) }
            return .unavailable
        }
        let isCached = step.plan.type.isCached
        if isCached, let cached = cache.load(key(id)) {
            if let artifact = cached {
                if instance.isStillValid(artifact) { return .done(artifact) }
            } else {
                return .nothing
            }
        }
        var inputs: [StepInput] = []
        var sawUnavailable = false
        for need in step.plan.needs {
            switch try resolve(need) {
            case .done(let artifact): inputs.append(StepInput(step: need, artifact: artifact))
            case .unavailable: sawUnavailable = true
            case .nothing: sawUnavailable = sawUnavailable || provisional.contains(need)
            }
        }
        if sawUnavailable { provisional.insert(id) }
        if !step.plan.needs.isEmpty && inputs.isEmpty && !step.plan.type.runsWithoutInputs { return .nothing }
        let artifact: Artifact?
        do {
            artifact = try instance.run(item, inputs: inputs)
        } catch {
            if let refused = error as? OutputsRefused { outcome.refusedOutputs += refused.refusals.count }
            throw StepFailure(item: item.displayPath, step: id, message: "\(error)")
        }
        if step.plan.spec.uses != DecodeStep.kind { outcome.computed.append(id) }
        if isCached && (artifact != nil || !sawUnavailable) {
            do {
                try cache.store(key(id), artifact, step: id, item: item.relativePath)
            } catch {
                throw StepFailure(item: item.displayPath, step: id, message: "cannot write the cache in \(cache.folder.path): \(error)")
            }
        }
        return artifact.map { .done($0) } ?? .nothing
    }
}
