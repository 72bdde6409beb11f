import Foundation

/// Runs the built `loom` executable the way a user would, capturing its output.
public enum CLIRunner {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `loom` binary under test: LOOM_BINARY when set (`make test` runs the CLI tests against the
    /// release build users run, whose `-Ounchecked` modules drop Swift's own checks), else the one
    /// beside the test bundle (`swift test` builds every product of the package).
    public static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["LOOM_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path, relativeTo: Fixtures.repositoryRoot).standardizedFileURL
        }
        let bundleFolder = Bundle.main.bundleURL.deletingLastPathComponent()
        for folder in [Bundle.main.bundleURL, bundleFolder] {
            let candidate = folder.appendingPathComponent("loom")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return Fixtures.repositoryRoot.appendingPathComponent(".build/debug/loom")
    }

    /// Runs `loom arguments...` in `directory` (default: the repository root) with extra environment.
    public static func run(_ arguments: [String], in directory: URL? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? Fixtures.repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the child runs so neither can fill up and block it.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.value, as: UTF8.self))
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false

    func set(_ value: Data) { lock.lock(); data = value; done = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return done }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
}
