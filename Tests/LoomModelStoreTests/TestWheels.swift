import Foundation
@testable import LoomModelStore

/// Builds small, valid wheels (zip + dist-info) with Python's zipfile, the same tool pip reads them with.
enum TestWheels {
    /// Writes `package-version-py3-none-any.whl` holding `files` into `folder` and returns its sha256.
    static func make(package: String, version: String, files: [String: Data], in folder: URL) throws -> String {
        let distribution = package.replacingOccurrences(of: "-", with: "_")
        let wheel = folder.appendingPathComponent("\(distribution)-\(version)-py3-none-any.whl")
        let staging = folder.appendingPathComponent("src-\(distribution)")
        var entries = files
        let info = "\(distribution)-\(version).dist-info"
        entries["\(info)/METADATA"] = Data("Metadata-Version: 2.1\nName: \(package)\nVersion: \(version)\n".utf8)
        entries["\(info)/WHEEL"] = Data("Wheel-Version: 1.0\nGenerator: loom-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".utf8)
        entries["\(info)/RECORD"] = Data()
        for (path, data) in entries {
            let url = staging.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        try zip(folder: staging, to: wheel)
        try FileManager.default.removeItem(at: staging)
        return try SHA256.hex(ofFile: wheel)
    }

    /// Zips the contents of `folder` (paths relative to it) into `archive`.
    static func zip(folder: URL, to archive: URL) throws {
        let script = """
        import os, sys, zipfile
        src, dst = sys.argv[1], sys.argv[2]
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
            for root, _, names in os.walk(src):
                for n in sorted(names):
                    p = os.path.join(root, n)
                    z.write(p, os.path.relpath(p, src))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, folder.path, archive.path]
        try process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "python3 zipfile failed")
    }
}
