import Foundation
import LoomTestSupport
import Testing
@testable import LoomModelStore

@Suite struct ModelLocatorTests {
    /// Paths are taken as they are (what they hold is ModelRegistry's to say); names come from the store.
    @Test func pathsAndNames() throws {
        let root = try Fixtures.temporaryDirectory("loom-locator")
        defer { try? FileManager.default.removeItem(at: root) }
        let locator = ModelLocator(store: ModelStore(home: root.appendingPathComponent("home")))
        let gguf = root.appendingPathComponent("m.gguf")
        try Data("GGUF".utf8).write(to: gguf)
        let location = try locator.locate(gguf.path)
        #expect(location.url.path == gguf.standardizedFileURL.path && location.catalogName == nil)
        #expect(try locator.locate(root.path).url.path == root.standardizedFileURL.path)
    }

    @Test func explainsWhatIsWrong() throws {
        let root = try Fixtures.temporaryDirectory("loom-locator")
        defer { try? FileManager.default.removeItem(at: root) }
        let locator = ModelLocator(store: ModelStore(home: root.appendingPathComponent("home")))

        #expect(throws: ModelStoreError.notInstalled("whisper-base")) { try locator.locate("whisper-base") }
        #expect(throws: ModelStoreError.unknownModel("whisper-huge", known: Catalog.models.map(\.name))) {
            try locator.locate("whisper-huge")
        }
        #expect(throws: ModelStoreError.notAModel(path: "./nowhere/m.gguf", reason: "no such file or folder")) {
            try locator.locate("./nowhere/m.gguf")
        }
    }
}
