import Foundation

/// Where the repository's committed test data lives, found from this file's path so tests run from any
/// working directory.
public enum Fixtures {
    /// The repository root (the folder holding Package.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file under Tests/Fixtures/.
    public static func url(_ relativePath: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
    }

    /// A file under Samples/.
    public static func sample(_ relativePath: String) -> URL {
        repositoryRoot.appendingPathComponent("Samples").appendingPathComponent(relativePath)
    }

    /// A fresh empty folder under the system temp directory; the caller removes it when done.
    public static func temporaryDirectory(_ label: String = "loom-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Reads a little-endian float32 file written by numpy's `tofile`.
    public static func floats(_ relativePath: String) throws -> [Float] {
        let data = try Data(contentsOf: url(relativePath))
        precondition(data.count % 4 == 0, "\(relativePath) is not a float32 array")
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// The largest absolute element-wise difference; tests print it beside their stated tolerance.
public func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length mismatch: \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
    return worst
}
