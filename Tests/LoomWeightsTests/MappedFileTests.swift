import Foundation
import LoomTestSupport
@testable import LoomWeights
import Testing

@Suite struct MappedFileTests {
    @Test func readsLittleEndianValuesAtUnalignedOffsets() throws {
        var bytes: [UInt8] = [0xAA]
        bytes.append(le: UInt32(0x1234_5678))
        bytes.append(le: Int16(-2))
        bytes.append(le: Float(1.5).bitPattern)
        bytes.append(le: Double(-0.25).bitPattern)
        let file = try MappedFile(url: temporaryFile(bytes))
        #expect(file.size == bytes.count)
        #expect(try file.load(UInt32.self, at: 1) == 0x1234_5678)
        #expect(try file.load(Int16.self, at: 5) == -2)
        #expect(try file.loadFloat32(at: 7) == 1.5)
        #expect(try file.loadFloat64(at: 11) == -0.25)
        #expect(Array(try file.bytes(at: 0, count: 2)) == [0xAA, 0x78])
    }

    @Test func readsPastTheEndThrowTruncatedNamingFileAndOffset() throws {
        let url = try temporaryFile([1, 2, 3, 4])
        let file = try MappedFile(url: url)
        let kind = expectWeightError(file: url) { _ = try file.load(UInt64.self, at: 0) }
        #expect(kind == .truncated(offset: 0, count: 8, fileSize: 4))
        expectWeightError(file: url) { _ = try file.bytes(at: 3, count: 2) }
        expectWeightError(file: url) { _ = try file.bytes(at: -1, count: 1) }
        expectWeightError(file: url) { _ = try file.bytes(at: 2, count: Int.max) }
        expectWeightError(file: url) { _ = try file.bytes(at: Int.max, count: 1) }
        #expect(try file.bytes(at: 4, count: 0).count == 0)
    }

    @Test func emptyFileMapsAndEveryReadThrows() throws {
        let url = try temporaryFile([])
        let file = try MappedFile(url: url)
        #expect(file.size == 0)
        expectWeightError(file: url) { _ = try file.load(UInt8.self, at: 0) }
    }

    @Test func missingFileAndFolderCannotOpen() throws {
        let missing = try Fixtures.temporaryDirectory().appendingPathComponent("nope.bin")
        let kind = expectWeightError(file: missing) { _ = try MappedFile(url: missing) }
        guard case .cannotOpen = kind else { Issue.record("got \(String(describing: kind))"); return }
        let folder = try Fixtures.temporaryDirectory()
        expectWeightError(file: folder) { _ = try MappedFile(url: folder) }
    }
}
