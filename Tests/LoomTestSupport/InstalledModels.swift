import Foundation
import LoomModelStore
import Testing

/// Real model weights installed by `loom models pull NAME` (the Makefile's test-models target).
///
/// `make test` pulls them and sets LOOM_REQUIRE_MODELS=1, so there a missing model fails the test
/// instead of skipping it; a plain `swift test` on a machine without them skips those tests.
public enum InstalledModels {
    /// The store's home: `$LOOM_HOME`, else `$XDG_CACHE_HOME/loom`, else `~/.cache/loom`.
    public static var home: URL { ModelStore.defaultHome }

    /// True when LOOM_REQUIRE_MODELS=1: tests must find their models.
    public static var required: Bool {
        ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1"
    }

    /// The folder of an installed catalog model, or nil when absent or incompletely installed.
    public static func folder(_ name: String) -> URL? {
        guard let model = Catalog.model(named: name) else { return nil }
        let store = ModelStore()
        return store.isInstalled(model) ? store.folder(for: model) : nil
    }

    /// A file of an installed model, or nil with a printed note when it is absent; when
    /// LOOM_REQUIRE_MODELS=1 an absent model is a test failure instead.
    public static func file(_ name: String, _ file: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        if let folder = folder(name) {
            let url = folder.appendingPathComponent(file)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        if required {
            Issue.record("model \(name) (\(file)) is not installed under \(home.path); run `make test-models`",
                         sourceLocation: sourceLocation)
        } else {
            print("skipping: model \(name) is not installed under \(home.path) (loom models pull \(name))")
        }
        return nil
    }
}
