import Foundation
import LoomTestSupport
import Testing
@testable import LoomModels

/// ModelRegistry: every folder and file kind Loom reads is recognised from its own key, the factory
/// loads it, and what it cannot tell is a clear error naming the file and the keys it knows.
@Suite struct ModelRegistryTests {
    /// The committed fixture folders, each with the family and key it must be recognised by.
    static let folders: [(path: String, family: ModelFamily, key: FamilyKey)] = [
        ("idefics3/model", .idefics3, .modelType("idefics3")),
        ("clip/tiny-random", .clip, .modelType("clip")),
        ("siglip/tiny-random", .siglip, .modelType("siglip")),
        ("bert/tiny-random", .sentenceEmbedder, .modelType("bert")),
        ("whisper/tiny-random", .whisper, .modelType("whisper")),
        ("llama/tiny-untied", .llama, .modelType("llama")),
    ]

    @Test(arguments: folders.indices)
    func recognisesEachFixtureFolder(index: Int) throws {
        let (path, family, key) = Self.folders[index]
        let folder = Fixtures.url(path)
        let model = try ModelRegistry.describe(folder)
        #expect(model.family == family && model.format == .safetensors && model.key == key)
        #expect(model.keyFile == folder.appendingPathComponent("config.json"))
        #expect(model.weightFiles == [folder.appendingPathComponent("model.safetensors")])
        // The factory loads what the description says.
        let loaded = try LoadedModel(model)
        switch (family, loaded) {
        case (.idefics3, .idefics3), (.clip, .clip), (.siglip, .siglip), (.sentenceEmbedder, .sentenceEmbedder),
             (.whisper, .whisper), (.llama, .llama):
            break
        default:
            Issue.record("\(path) loaded as \(loaded)")
        }
    }

    /// A GGUF file (and a folder holding one, beside an mmproj file) is told by general.architecture.
    @Test func recognisesGGUFFilesByArchitecture() throws {
        let folder = try Fixtures.temporaryDirectory("registry-gguf")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("SmolLM2.gguf")
        try GGUFBuilder(strings: [("general.architecture", "llama")]).write(to: file)
        let model = try ModelRegistry.describe(file)
        #expect(model.family == .llama && model.format == .gguf && model.key == .ggufArchitecture("llama"))
        #expect(model.ggufFile != nil && model.folder == folder && model.weightFiles == [file])

        try GGUFBuilder(strings: [("general.architecture", "clip"), ("clip.projector_type", "idefics3")])
            .write(to: folder.appendingPathComponent("mmproj-SmolVLM.gguf"))
        let inFolder = try ModelRegistry.describe(folder)
        #expect(inFolder.family == .llama && inFolder.keyFile == file)
    }

    /// llama.cpp's mmproj files are recognised by clip.projector_type and refused by the factory with
    /// a message that says so.
    @Test func recognisesProjectorFilesButCannotLoadThem() throws {
        let folder = try Fixtures.temporaryDirectory("registry-mmproj")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("mmproj-SmolVLM-256M-Instruct-Q8_0.gguf")
        try GGUFBuilder(strings: [("general.architecture", "clip"), ("clip.projector_type", "idefics3")]).write(to: file)
        let model = try ModelRegistry.describe(file)
        #expect(model.family == .multimodalProjector && model.key == .projectorType("idefics3"))
        let error = try #require(throws: ModelRegistryError.self) { try LoadedModel(model) }
        #expect(error == .notSupportedYet(file: file.path, family: .multimodalProjector, key: .projectorType("idefics3")))
        #expect(error.description.contains(file.path) && error.description.contains("cannot run it yet"))
        // Audio projectors name their type under clip.audio.
        try GGUFBuilder(strings: [("general.architecture", "clip"), ("clip.audio.projector_type", "ultravox")]).write(to: file)
        #expect(try ModelRegistry.describe(file).key == .projectorType("ultravox"))
        // The registry says what a file holds even when the caller wants something else.
        let wrong = try #require(throws: ModelRegistryError.self) { try LlamaModel(url: file) }
        #expect(wrong.description.contains(file.path) && wrong.description.contains("mmproj"))
    }

    @Test func recognisesCTranslate2AndSileroFolders() throws {
        let folder = try Fixtures.temporaryDirectory("registry-vad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent(SileroVAD.safetensorsFileName)
        try SileroVADSafeTensorsWriter.write(SileroVADSafeTensorsWriter.sileroShapes, to: weights)
        let vad = try ModelRegistry.describe(folder)
        #expect(vad.family == .sileroVAD && vad.format == .safetensors && vad.weightFiles == [weights])
        guard case .sileroVAD = try LoadedModel(contentsOf: folder) else { Issue.record("not loaded as Silero VAD"); return }
        // The installed faster-whisper folder, when present.
        if let whisper = InstalledModels.folder("whisper-tiny.en") {
            let model = try ModelRegistry.describe(whisper)
            #expect(model.family == .whisper && model.format == .ctranslate2 && model.key == .ctranslate2Spec("WhisperSpec"))
            #expect(model.weightFiles == [whisper.appendingPathComponent("model.bin")])
        }
    }

    /// Keys Loom has no factory for: each error names the file, the value found and the values known.
    @Test func unknownKeysNameTheFileAndTheKnownOnes() throws {
        let folder = try Fixtures.temporaryDirectory("registry-unknown")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        try Data(#"{"model_type": "mistral"}"#.utf8).write(to: config)
        try Data().write(to: folder.appendingPathComponent("model.safetensors"))
        let modelType = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(folder) }
        #expect(modelType == .unknownKey(file: config.path, key: .modelType("mistral"), known: ModelRegistry.known(like: .modelType(""))))
        for text in [config.path, "\"mistral\"", "\"whisper\"", "\"llama\"", "\"idefics3\"", "\"clip\"", "\"siglip\"", "\"bert\""] {
            #expect(modelType.description.contains(text), "\(modelType) lacks \(text)")
        }

        let gguf = folder.appendingPathComponent("model.gguf")
        try GGUFBuilder(strings: [("general.architecture", "mamba")]).write(to: gguf)
        let architecture = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(gguf) }
        #expect(architecture.description.contains(gguf.path) && architecture.description.contains("\"mamba\""))
        #expect(architecture.description.contains("\"llama\"") && architecture.description.contains("mmproj"))
        // The committed weights-reader fixture has a test architecture of its own.
        let fixture = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(Fixtures.url("weights/tiny.gguf")) }
        #expect(fixture.description.contains("\"loomtest\""))

        try GGUFBuilder(strings: [("general.architecture", "clip"), ("clip.projector_type", "resampler")]).write(to: gguf)
        let projector = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(gguf) }
        #expect(projector.description.contains("\"resampler\"") && projector.description.contains("\"ultravox\""))

        let ct2 = try Fixtures.temporaryDirectory("registry-ct2")
        defer { try? FileManager.default.removeItem(at: ct2) }
        try FileManager.default.copyItem(at: Fixtures.url("weights/tiny-ct2.bin"), to: ct2.appendingPathComponent("model.bin"))
        let spec = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(ct2) }
        #expect(spec.description.contains("model.bin") && spec.description.contains("\"TestSpec\"") && spec.description.contains("\"WhisperSpec\""))
    }

    /// Configs without the key, configs that are not JSON, missing weights, folders and files of
    /// nothing Loom reads, and models of another family than the caller takes.
    @Test func whatItCannotTellIsAClearError() throws {
        let folder = try Fixtures.temporaryDirectory("registry-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")

        let empty = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(folder, as: .whisper) }
        #expect(empty == .notAModel(path: folder.path, wanted: "a Whisper model: " + ModelRegistry.layouts(of: [.whisper])))
        #expect(empty.description.contains("model.bin") && empty.description.contains("\"whisper\""))

        try Data("{}".utf8).write(to: config)
        #expect(throws: ModelRegistryError.missingKey(file: config.path, key: "model_type", known: ModelRegistry.known(like: .modelType("")))) {
            try ModelRegistry.describe(folder)
        }
        try Data("not json".utf8).write(to: config)
        #expect(throws: ModelRegistryError.unreadableConfig(file: config.path, reason: "is not a JSON object")) {
            try ModelRegistry.describe(folder)
        }
        try Data(#"{"model_type": "clip"}"#.utf8).write(to: config)
        let noWeights = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(folder) }
        #expect(noWeights.description.contains(folder.appendingPathComponent("model.safetensors").path))

        let text = folder.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: text)
        let notModel = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(text) }
        #expect(notModel.description.contains(text.path) && notModel.description.contains(".gguf"))
        let absent = folder.appendingPathComponent("absent")
        #expect(throws: ModelRegistryError.notFound(path: absent.path)) { try ModelRegistry.describe(absent) }

        let clip = Fixtures.url("clip/tiny-random")
        let wrong = try #require(throws: ModelRegistryError.self) { try ModelRegistry.describe(clip, as: .whisper) }
        #expect(wrong == .wrongFamily(path: clip.appendingPathComponent("config.json").path, found: .clip, key: .modelType("clip"), wanted: [.whisper]))
        #expect(wrong.description.contains("CLIP") && wrong.description.contains("Whisper"))
    }
}
