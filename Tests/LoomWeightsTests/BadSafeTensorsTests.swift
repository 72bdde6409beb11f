import Foundation
import LoomTestSupport
import LoomWeights
import Testing

/// Corrupt safetensors files: each gives a typed error naming the file, never a crash.
@Suite struct BadSafeTensorsTests {
    /// A safetensors file from a header text and data bytes.
    func file(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) throws -> URL {
        var bytes: [UInt8] = []
        bytes.append(le: headerLength ?? UInt64(header.utf8.count))
        bytes += Array(header.utf8) + data
        return try temporaryFile(bytes, name: "bad.safetensors")
    }

    func open(_ url: URL) throws { _ = try SafeTensorsFile(url: url) }

    @Test func truncatedLengthAndHeaderPastEnd() throws {
        let short = try temporaryFile([1, 0, 0], name: "short.safetensors")
        #expect(expectWeightError(file: short) { try open(short) } == .truncated(offset: 0, count: 8, fileSize: 3))
        let past = try file(header: "{}", headerLength: 1 << 40)
        guard case .truncated = expectWeightError(file: past, { try open(past) }) else { Issue.record("not truncated"); return }
        let huge = try file(header: "{}", headerLength: UInt64.max)
        guard case .truncated = expectWeightError(file: huge, { try open(huge) }) else { Issue.record("not truncated"); return }
    }

    @Test func headerThatIsNotAJSONObject() throws {
        for header in ["[1, 2]", "\"text\"", "{\"a\": ", "\u{00}\u{01}"] {
            let url = try file(header: header)
            guard case .malformedHeader = expectWeightError(file: url, { try open(url) }) else {
                Issue.record("\(header) not refused as malformed"); continue
            }
        }
    }

    @Test func malformedEntries() throws {
        let cases = [
            #"{"w": 3}"#,
            #"{"w": {"shape": [1], "data_offsets": [0, 4]}}"#,
            #"{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#,
            #"{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#,
            #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#,
            #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#,
            #"{"w": {"dtype": "F32", "shape": [18446744073709551616], "data_offsets": [0, 4]}}"#,
            #"{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}"#,
            #"{"__metadata__": [1], "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
        ]
        for header in cases {
            let url = try file(header: header, data: [0, 0, 0, 0])
            let kind = expectWeightError(file: url) { try open(url) }
            switch kind {
            case .malformedHeader?, .sizeMismatch?: break
            default: Issue.record("\(header): \(String(describing: kind))")
            }
        }
    }

    @Test func unknownDType() throws {
        let url = try file(header: #"{"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])
        #expect(expectWeightError(file: url) { try open(url) } == .unknownDType("F8_E4M3 (tensor 'w')"))
    }

    @Test func offsetsPastTheEndAndWrongByteCount() throws {
        let past = try file(header: #"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: [0, 0, 0, 0])
        guard case .tensorOutOfBounds(tensor: "w", _, _, _) = expectWeightError(file: past, { try open(past) }) else {
            Issue.record("not out of bounds"); return
        }
        let far = try file(header: #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [9223372036854775000, 9223372036854775004]}}"#)
        guard case .tensorOutOfBounds = expectWeightError(file: far, { try open(far) }) else { Issue.record("not out of bounds"); return }
        let wrong = try file(header: #"{"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])
        #expect(expectWeightError(file: wrong) { try open(wrong) }
                == .sizeMismatch(tensor: "w", shape: [3], dtype: "F16", expectedBytes: 6, actualBytes: 4))
    }

    /// Cutting the real fixture anywhere (length, header, data) is refused, never read past the end.
    @Test func truncatedAtEveryLength() throws {
        let bytes = try fixtureBytes("tiny.safetensors")
        for length in 0..<bytes.count {
            let url = try temporaryFile(Array(bytes[..<length]), name: "cut.safetensors")
            do {
                _ = try SafeTensorsFile(url: url)
                Issue.record("length \(length) opened")
            } catch let error as WeightFileError {
                #expect(error.file == url.path)
            }
        }
    }
}
