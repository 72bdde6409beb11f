import Foundation
import LoomTestSupport
import Testing
@testable import LoomModelStore

@Suite struct ModelLocatorTests {
    @Test func recognizesLayoutsFromFiles() throws {
        let root = try Fixtures.temporaryDirectory("loom-locator")
        defer { try? FileManager.default.removeItem(at: root) }
        let locator = ModelLocator(store: ModelStore(home: root.appendingPathComponent("home")))
        let fm = FileManager.default

        let gguf = root.appendingPathComponent("m.gguf")
        try Data("GGUF\u{3}\0\0\0".utf8).write(to: gguf)
        #expect(try locator.locate(gguf.path).layout == .ggufFile)

        let ct2 = root.appendingPathComponent("ct2")
        try fm.createDirectory(at: ct2, withIntermediateDirectories: true)
        for name in ["model.bin", "config.json"] { try Data().write(to: ct2.appendingPathComponent(name)) }
        #expect(try locator.locate(ct2.path).layout == .ctranslate2Folder)

        let hf = root.appendingPathComponent("hf")
        try fm.createDirectory(at: hf, withIntermediateDirectories: true)
        for name in ["model.safetensors", "config.json"] { try Data().write(to: hf.appendingPathComponent(name)) }
        #expect(try locator.locate(hf.path).layout == .huggingFaceFolder)
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
        let notText = root.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: notText)
        do {
            _ = try locator.locate(notText.path)
            Issue.record("a text file was taken for a model")
        } catch {
            #expect("\(error)".contains("notes.txt") && "\(error)".contains("GGUF"))
        }
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: ModelStoreError.self) { try locator.locate(empty.path) }
    }
}
