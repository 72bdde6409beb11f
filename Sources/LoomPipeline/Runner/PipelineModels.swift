import Foundation
import LoomModelStore

/// Loads each model once per run, on first use, and hands the same instance to every step and
/// thread that names it. A failed load is remembered, so a missing file is reported per item
/// without trying again each time.
public final class ModelPool: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: Result<Any, Error>] = [:]
    private var loadLog: [String] = []
    /// Called with (model name, seconds) after each load, for the log.
    private let onLoad: @Sendable (String, Double) -> Void

    public init(onLoad: @escaping @Sendable (String, Double) -> Void = { _, _ in }) {
        self.onLoad = onLoad
    }

    /// Models loaded so far, in order.
    public var loadedModels: [String] { lock.lock(); defer { lock.unlock() }; return loadLog }

    /// The shared instance of `model` as `T`, loading it with `load` the first time.
    public func shared<T>(_ model: ResolvedModel, as type: T.Type, load: (ModelLocation) throws -> T) throws -> T {
        let key = "\(model.spec.name)|\(T.self)"
        lock.lock()
        defer { lock.unlock() }
        if let result = loaded[key] { return try result.get() as! T }
        let started = Date()
        let result: Result<Any, Error> = Result { try load(model.location) as Any }
        loaded[key] = result
        if case .success = result {
            loadLog.append(model.spec.name)
            onLoad(model.spec.name, Date().timeIntervalSince(started))
        }
        return try result.get() as! T
    }
}
