import Foundation
import LoomTestSupport
import LoomWeights
import Testing

/// Corrupt CTranslate2 model.bin files: each gives a typed error naming the file.
///
/// Offsets in tiny-ct2.bin (Scripts/reference/dump_weights.py, write_ct2): version at 0, spec name
/// "TestSpec" at 4 (u16 9 + 9 bytes), revision at 15, variable count at 19, first variable
/// "encoder/w" at 23: name (12 bytes), rank at 35, dims at 36, dtype id at 44, byte count at 45.
@Suite struct BadCTranslate2Tests {
    func refused(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> WeightFileError.Kind? {
        let url = try temporaryFile(bytes, name: "model.bin")
        return expectWeightError(file: url, sourceLocation: sourceLocation) { _ = try CTranslate2Model(url: url) }
    }

    @Test func offsetsInTheCommentAreRight() throws {
        let bytes = try fixtureBytes("tiny-ct2.bin")
        #expect(Array(bytes[6..<14]) == Array("TestSpec".utf8))
        #expect(bytes[19] == 5 && bytes[35] == 2 && bytes[44] == 0 && bytes[45] == 48)
    }

    @Test func wrongVersionOrNotACTranslate2File() throws {
        var bytes = try fixtureBytes("tiny-ct2.bin")
        bytes.replace(at: 0, le: UInt32(5))
        #expect(try refused(bytes) == .unsupportedVersion(found: 5, supported: "CTranslate2 model.bin binary version 6"))
        guard case .unsupportedVersion = try refused(fixtureBytes("tiny.gguf")) else { Issue.record("gguf as ct2"); return }
    }

    @Test func absurdCountsAndSizes() throws {
        var bytes = try fixtureBytes("tiny-ct2.bin")
        bytes.replace(at: 19, le: UInt32.max)
        guard case .implausibleCount(what: "variable count", _, _) = try refused(bytes) else { Issue.record("count"); return }

        bytes = try fixtureBytes("tiny-ct2.bin")
        bytes.replace(at: 36, le: UInt32.max)  // first dim 2^32-1: shape no longer matches 48 bytes
        guard case .sizeMismatch(tensor: "encoder/w", _, _, _, _) = try refused(bytes) else { Issue.record("dims"); return }

        bytes = try fixtureBytes("tiny-ct2.bin")
        bytes.replace(at: 36, le: UInt32(3 << 28))
        bytes.replace(at: 40, le: UInt32(1 << 28))
        bytes.replace(at: 45, le: UInt32.max)
        guard case .sizeMismatch = try refused(bytes) else { Issue.record("byte count"); return }

        bytes = try fixtureBytes("tiny-ct2.bin")
        bytes.replace(at: 4, le: UInt16.max)  // spec name longer than the file
        guard case .truncated = try refused(bytes) else { Issue.record("string length"); return }
    }

    @Test func unknownDTypeAndBadStrings() throws {
        var bytes = try fixtureBytes("tiny-ct2.bin")
        bytes[44] = 9
        #expect(try refused(bytes) == .unknownDType("CTranslate2 type id 9 (variable 'encoder/w')"))

        bytes = try fixtureBytes("tiny-ct2.bin")
        bytes[14] = 0x41  // the spec name's NUL terminator
        guard case .malformedHeader = try refused(bytes) else { Issue.record("NUL"); return }

        bytes = try fixtureBytes("tiny-ct2.bin")
        bytes.replace(at: 4, le: UInt16(0))
        guard case .malformedHeader = try refused(bytes) else { Issue.record("empty string"); return }
    }

    @Test func aliasToMissingVariable() throws {
        var bytes = try fixtureBytes("tiny-ct2.bin")
        // The file ends with the alias target "encoder/w\0": rename it.
        bytes[bytes.count - 2] = UInt8(ascii: "x")
        guard case .malformedHeader = try refused(bytes) else { Issue.record("alias"); return }
    }

    @Test func truncatedAtEveryLength() throws {
        let bytes = try fixtureBytes("tiny-ct2.bin")
        var kinds: Set<String> = []
        for length in 0..<bytes.count {
            let url = try temporaryFile(Array(bytes[..<length]), name: "model.bin")
            do {
                _ = try CTranslate2Model(url: url)
                Issue.record("length \(length) opened")
            } catch let error as WeightFileError {
                #expect(error.file == url.path)
                kinds.insert(String("\(error.kind)".prefix { $0 != "(" }))
            }
        }
        print("ct2 truncations refused:", kinds.sorted())
        #expect(kinds.contains("truncated") && kinds.contains("tensorOutOfBounds"))
    }
}
