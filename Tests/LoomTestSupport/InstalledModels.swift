import Foundation
import LoomModelStore

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
}
