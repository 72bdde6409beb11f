import Foundation
import LoomTestSupport
import LoomWeights
import Testing

/// Corrupt GGUF files: each gives a typed error naming the file, never a crash or a huge allocation.
@Suite struct BadGGUFTests {
    func expectRefused(_ builder: GGUFBuilder, sourceLocation: SourceLocation = #_sourceLocation) throws -> WeightFileError.Kind? {
        let url = try temporaryFile(builder.bytes, name: "bad.gguf")
        return expectWeightError(file: url, sourceLocation: sourceLocation) { _ = try GGUFFile(url: url) }
    }

    /// A valid one-tensor file to start from: F32 tensor "w" of 8 values.
    func valid() -> GGUFBuilder {
        var b = GGUFBuilder(tensorCount: 1, keyCount: 1)
        b.keyUInt32("general.alignment", 32)
        b.tensorInfo("w", dims: [8], type: 0, offset: 0)
        b.data([UInt8](repeating: 0, count: 32))
        return b
    }

    @Test func builderMakesAReadableFile() throws {
        let url = try temporaryFile(valid().bytes, name: "ok.gguf")
        #expect(try GGUFFile(url: url).tensor("w").data == [Float](repeating: 0, count: 8))
    }

    @Test func wrongMagicAndVersions() throws {
        #expect(try expectRefused(GGUFBuilder(tensorCount: 0, keyCount: 0, magic: "GGML")) == .badMagic(expected: "GGUF", found: "\"GGML\""))
        #expect(try expectRefused(GGUFBuilder(version: 1, tensorCount: 0, keyCount: 0)) == .unsupportedVersion(found: 1, supported: "GGUF 2 and 3"))
        // A big-endian file reads as a huge version number.
        #expect(try expectRefused(GGUFBuilder(version: 3 << 24, tensorCount: 0, keyCount: 0)) == .unsupportedVersion(found: 3 << 24, supported: "GGUF 2 and 3"))
    }

    @Test func absurdCounts() throws {
        guard case .implausibleCount(what: "tensor count", count: 1 << 60, _) = try expectRefused(GGUFBuilder(tensorCount: 1 << 60, keyCount: 0)) else {
            Issue.record("tensor count"); return
        }
        guard case .implausibleCount(what: "metadata count", _, _) = try expectRefused(GGUFBuilder(tensorCount: 0, keyCount: UInt64.max)) else {
            Issue.record("metadata count"); return
        }
        var longKey = GGUFBuilder(tensorCount: 0, keyCount: 1)
        longKey.bytes.append(le: UInt64(1) << 62)  // key length 2^62
        longKey.bytes += [UInt8](repeating: 0x41, count: 16)
        guard case .implausibleCount(what: "length of metadata key", count: 1 << 62, _) = try expectRefused(longKey) else {
            Issue.record("string length"); return
        }
        var longArray = GGUFBuilder(tensorCount: 0, keyCount: 1)
        longArray.string("a")
        longArray.bytes.append(le: UInt32(9))      // array
        longArray.bytes.append(le: UInt32(8))      // of strings
        longArray.bytes.append(le: UInt64(1) << 40)
        longArray.bytes += [UInt8](repeating: 0, count: 64)
        guard case .implausibleCount = try expectRefused(longArray) else { Issue.record("array count"); return }
    }

    @Test func deeplyNestedArraysAreRefused() throws {
        var b = GGUFBuilder(tensorCount: 0, keyCount: 1)
        b.string("nest")
        b.bytes.append(le: UInt32(9))
        for _ in 0..<1000 {  // array of 1 array of 1 array ...
            b.bytes.append(le: UInt32(9))
            b.bytes.append(le: UInt64(1))
        }
        guard case .malformedHeader = try expectRefused(b) else { Issue.record("nesting"); return }
    }

    @Test func badValuesInMetadata() throws {
        var unknownType = GGUFBuilder(tensorCount: 0, keyCount: 1)
        unknownType.string("k")
        unknownType.bytes.append(le: UInt32(77))
        unknownType.bytes += [0, 0, 0, 0]
        guard case .malformedHeader = try expectRefused(unknownType) else { Issue.record("value type"); return }

        var badBool = GGUFBuilder(tensorCount: 0, keyCount: 1)
        badBool.string("k")
        badBool.bytes.append(le: UInt32(7))
        badBool.bytes.append(2)
        guard case .malformedHeader = try expectRefused(badBool) else { Issue.record("bool"); return }

        var badUTF8 = GGUFBuilder(tensorCount: 0, keyCount: 1)
        badUTF8.bytes.append(le: UInt64(2))
        badUTF8.bytes += [0xC3, 0x28]
        badUTF8.bytes.append(le: UInt32(0))
        badUTF8.bytes.append(1)
        guard case .malformedHeader = try expectRefused(badUTF8) else { Issue.record("utf8"); return }

        for alignment: UInt32 in [0, 3, 48] {
            var b = GGUFBuilder(tensorCount: 0, keyCount: 1)
            b.keyUInt32("general.alignment", alignment)
            guard case .malformedHeader = try expectRefused(b) else { Issue.record("alignment \(alignment)"); return }
        }
        var twice = GGUFBuilder(tensorCount: 0, keyCount: 2)
        twice.keyUInt32("k", 1)
        twice.keyUInt32("k", 2)
        guard case .malformedHeader = try expectRefused(twice) else { Issue.record("duplicate key"); return }
    }

    @Test func badTensorInfos() throws {
        func one(dims: [UInt64], type: UInt32, offset: UInt64, data: Int = 32) -> GGUFBuilder {
            var b = GGUFBuilder(tensorCount: 1, keyCount: 0)
            b.tensorInfo("w", dims: dims, type: type, offset: offset)
            b.data([UInt8](repeating: 0, count: data))
            return b
        }
        #expect(try expectRefused(one(dims: [8], type: 99, offset: 0)) == .unknownDType("ggml type 99 (tensor 'w')"))
        guard case .tensorOutOfBounds(tensor: "w", _, _, _) = try expectRefused(one(dims: [8], type: 0, offset: 64)) else {
            Issue.record("offset past end"); return
        }
        guard case .tensorOutOfBounds = try expectRefused(one(dims: [8], type: 0, offset: UInt64.max)) else { Issue.record("offset max"); return }
        guard case .tensorOutOfBounds = try expectRefused(one(dims: [1 << 40], type: 0, offset: 0)) else { Issue.record("huge dims"); return }
        guard case .malformedHeader = try expectRefused(one(dims: [1 << 40, 1 << 40], type: 0, offset: 0)) else { Issue.record("overflow"); return }
        guard case .malformedHeader = try expectRefused(one(dims: [UInt64.max], type: 0, offset: 0)) else { Issue.record("dim max"); return }
        guard case .malformedHeader = try expectRefused(one(dims: [1, 1, 1, 1, 1], type: 0, offset: 0)) else { Issue.record("rank 5"); return }
        guard case .malformedHeader = try expectRefused(one(dims: [16], type: 8, offset: 0)) else { Issue.record("partial block"); return }
        var twice = GGUFBuilder(tensorCount: 2, keyCount: 0)
        twice.tensorInfo("w", dims: [1], type: 0, offset: 0)
        twice.tensorInfo("w", dims: [1], type: 0, offset: 0)
        twice.data([0, 0, 0, 0])
        guard case .malformedHeader = try expectRefused(twice) else { Issue.record("duplicate tensor"); return }
    }

    /// Cutting tiny.gguf at every length through its header (magic, counts, metadata, tensor infos)
    /// and at points in the data section: always a typed error about the file.
    @Test func truncatedAtEverySection() throws {
        let bytes = try fixtureBytes("tiny.gguf")
        let dataOffset = try GGUFFile(url: Fixtures.url("weights/tiny.gguf")).dataOffset
        let lengths = Array(0...dataOffset) + stride(from: dataOffset + 1, to: bytes.count, by: 97)
        let url = try temporaryFile([], name: "cut.gguf")
        var kinds: [String: Int] = [:]
        for length in lengths {
            try Data(bytes[..<length]).write(to: url)
            do {
                _ = try GGUFFile(url: url)
                Issue.record("length \(length) of \(bytes.count) opened")
            } catch let error as WeightFileError {
                #expect(error.file == url.path)
                kinds["\(error.kind)".prefix { $0 != "(" }.description, default: 0] += 1
            }
        }
        print("gguf truncations refused:", kinds)
        #expect(kinds["truncated"] != nil && kinds["tensorOutOfBounds"] != nil)
    }
}
