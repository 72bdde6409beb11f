import Foundation
import LoomTestSupport
import LoomWeights
import Testing

/// Tests/Fixtures/weights/manifest.json, written by Scripts/reference/dump_weights.py.
struct Manifest: Decodable {
    struct Entry: Decodable {
        let name: String
        let shape: [Int]
        let dtype: String?
        let type: String?
        let expected: String
    }
    let safetensors: [Entry]
    let gguf: [Entry]
    let ct2: [Entry]

    static func load() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Fixtures.url("weights/manifest.json")))
    }
}

/// Runs `body`, which must throw a `WeightFileError` about `file`; returns its kind for further checks.
@discardableResult
func expectWeightError(file: URL, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) -> WeightFileError.Kind? {
    do {
        try body()
        Issue.record("expected a WeightFileError about \(file.lastPathComponent), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as WeightFileError {
        #expect(error.file == file.path, sourceLocation: sourceLocation)
        #expect(error.description.contains(file.path), sourceLocation: sourceLocation)
        print("error (expected):", error)
        return error.kind
    } catch {
        Issue.record("expected a WeightFileError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Writes `bytes` to a fresh temporary file.
func temporaryFile(_ bytes: [UInt8], name: String = "weights.bin") throws -> URL {
    let url = try Fixtures.temporaryDirectory("loom-weights").appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: Fixtures.url("weights/\(name)")))
}

/// Little-endian patches for building bad files by hand (`append(le:)` is in LoomTestSupport).
extension Array where Element == UInt8 {
    mutating func replace<T: FixedWidthInteger>(at offset: Int, le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { bytes in
            for (i, byte) in bytes.enumerated() { self[offset + i] = byte }
        }
    }
}
