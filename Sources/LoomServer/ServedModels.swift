import Foundation
import LoomModelStore
import LoomModels
import LoomTasks
import Synchronization

/// One model the server offers: its id in the API (the catalog name, or the folder's or file's
/// name), what it does, where its weights are, and the queue its requests wait in.
struct ServedModel: Sendable {
    let id: String
    let role: ModelRole
    let url: URL
    let queue: WorkQueue
}

/// The models a server offers, found once at start through the CLI's own resolvers (`ModelLocator`
/// for names and paths, `VisionModelFolder` for vision folders) and loaded through the process's
/// `SharedModels`, so an idle model can be unloaded and loaded again at its next request.
final class ServedModels: Sendable {
    let all: [ServedModel]
    let shared: SharedModels
    let threads: Int
    private let loading = Mutex<Set<String>>([])

    init(configuration: ServerConfiguration, shared: SharedModels) throws {
        self.shared = shared
        threads = configuration.threads
        var models: [ServedModel] = []
        for role in ModelRole.allCases {
            let spec = configuration.models[role]
            guard let (id, url) = try Self.locate(role, spec: spec) else { continue }
            let queue = WorkQueue(name: id, maxWaiting: configuration.maxQueue, retryAfterSeconds: configuration.retryAfterSeconds)
            models.append(ServedModel(id: id, role: role, url: url, queue: queue))
        }
        all = models
    }

    /// The (id, location) of a role's model: `spec` as the user gave it, else the role's default
    /// when it is installed (nil when not: the role is not served).
    static func locate(_ role: ModelRole, spec: String?) throws -> (String, URL)? {
        switch role {
        case .vision, .clip:
            guard let spec else { return nil }
            let kind: VisionModelKind = role == .vision ? .visionLanguage : .dualEncoder
            let folder = try VisionModelFolder.resolve(spec, kind: kind)
            return (folder.lastPathComponent, folder)
        case .chat, .embeddings, .asr:
            if let spec {
                let location = try ModelLocator().locate(spec)
                return (location.catalogName ?? location.url.lastPathComponent, location.url)
            }
            guard let name = role.defaultName, let location = try? ModelLocator().locate(name) else { return nil }
            return (name, location.url)
        }
    }

    /// The served model called `id` that can do one of `roles`; 404 naming the ones that can.
    func model(_ id: String?, for roles: [ModelRole]) throws -> ServedModel {
        let candidates = all.filter { roles.contains($0.role) }
        guard let id, !id.isEmpty else {
            throw APIError.badRequest("missing required field 'model'; this server offers \(Self.names(candidates))", param: "model")
        }
        if let match = candidates.first(where: { $0.id == id }) { return match }
        let what = all.contains(where: { $0.id == id }) ? "cannot serve this route" : "is not served here"
        throw APIError.notFound("the model '\(id)' \(what); models for it: \(Self.names(candidates)) (GET /v1/models lists all)")
    }

    static func names(_ models: [ServedModel]) -> String {
        models.isEmpty ? "none (start loom serve with --model ROLE=NAME)" : models.map(\.id).joined(separator: ", ")
    }

    /// Models being loaded right now: `/health` answers 503 while any is.
    var modelsLoading: Set<String> { loading.withLock { $0 } }

    /// Loads every model on its own thread, as its first request would; `/health` is 503 meanwhile.
    /// A model that fails to load is logged; its requests get the load error.
    func preload(log: @escaping @Sendable (String) -> Void) async {
        loading.withLock { $0 = Set(all.map(\.id)) }
        await withTaskGroup(of: Void.self) { group in
            for model in all {
                group.addTask {
                    let start = ContinuousClock.now
                    do {
                        try await model.queue.perform { try self.load(model) }
                        log("loaded \(model.id) (\(model.role.rawValue)) in \(ContinuousClock.now - start)")
                    } catch {
                        log("error: \(model.id) did not load: \(error)")
                    }
                    self.loading.withLock { _ = $0.remove(model.id) }
                }
            }
        }
    }

    /// Loads (or finds loaded) the model behind `model`, whichever kind it is.
    private func load(_ model: ServedModel) throws {
        switch model.role {
        case .chat: _ = try shared.textGeneration(at: model.url)
        case .vision: _ = try shared.visionLanguage(at: model.url)
        case .embeddings: _ = try shared.sentenceEmbedder(at: model.url)
        case .clip: _ = try shared.dualEncoder(at: model.url)
        case .asr: _ = try shared.whisper(at: model.url, threads: threads)
        }
    }

    /// Silero VAD when installed (transcriptions of audio over 30 s skip silence with it, as
    /// `loom transcribe --vad auto` does); nil when not.
    func voiceActivity() -> SileroVAD? {
        guard let location = try? ModelLocator().locate("silero-vad") else { return nil }
        return try? shared.voiceActivity(at: location.url)
    }
}
