import Foundation

/// Runs the built `loom` executable the way a user would, capturing its output.
public enum CLIRunner {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// The run was still going at the timeout and was killed: a hang, not an answer.
        public var timedOut = false
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

    /// Runs `loom arguments...` in `directory` (default: the repository root) with extra environment;
    /// after `timeout` seconds the run is killed and reported `timedOut`.
    public static func run(_ arguments: [String], in directory: URL? = nil,
                           environment: [String: String] = [:], timeout: Double? = nil) throws -> Result {
        try launch(executable, arguments, in: directory, environment: environment, timeout: timeout)
    }

    /// Runs a /bin/sh `script` in which `$LOOM` is the binary: for arguments that `Process` cannot
    /// pass, such as file names that are not UTF-8 (`"$LOOM" inspect "$(printf 'caf\351.wav')"`).
    public static func runShell(_ script: String, in directory: URL? = nil, timeout: Double? = nil) throws -> Result {
        try launch(URL(fileURLWithPath: "/bin/sh"), ["-c", script], in: directory,
                   environment: ["LOOM": executable.path], timeout: timeout)
    }

    static func launch(_ program: URL, _ arguments: [String], in directory: URL?,
                       environment: [String: String], timeout: Double?) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? Fixtures.repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killed = LockedData()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if process.isRunning { killed.set(Data()); kill(process.processIdentifier, SIGKILL) }
            }
        }
        // Read both pipes while the child runs so neither can fill up and block it.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.value, as: UTF8.self),
                      timedOut: killed.isSet)
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
