import Foundation

/// Real model weights installed by `loom models pull NAME` (the Makefile's test-models target).
///
/// `make test` pulls them and sets LOOM_REQUIRE_MODELS=1, so there a missing model fails the test
/// instead of skipping it; a plain `swift test` on a machine without them skips those tests.
public enum InstalledModels {
    /// `$LOOM_HOME`, or `~/.cache/loom`.
    public static var home: URL {
        if let env = ProcessInfo.processInfo.environment["LOOM_HOME"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentDirectory()
            .appendingPathComponent(".cache/loom", isDirectory: true)
    }

    /// True when LOOM_REQUIRE_MODELS=1: tests must find their models.
    public static var required: Bool {
        ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1"
    }

    /// The folder of an installed catalog model (`$LOOM_HOME/models/NAME`), or nil when absent.
    public static func folder(_ name: String) -> URL? {
        let url = home.appendingPathComponent("models/\(name)", isDirectory: true)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}

private extension FileManager {
    func homeDirectoryForCurrentDirectory() -> URL {
        URL(fileURLWithPath: NSHomeDirectory(), isDirectory: true)
    }
}
