import Foundation
import LoomWeights

/// The one place that decides what a model folder or file holds. The model's own key chooses the
/// family, as transformers' AutoConfig (config.json `model_type`) and llama.cpp (GGUF
/// `general.architecture`; mmproj `clip.projector_type`) choose theirs:
///
///     folder with model.bin                 -> the CTranslate2 spec name (WhisperSpec)
///     folder with config.json               -> model_type; weights model.safetensors or its index
///     .gguf file (or a folder with one)     -> general.architecture; "clip" is an mmproj projector
///     silero_vad_16k_op15.onnx (or folder)  -> Silero VAD, known by its file name
///     folder with det.onnx and rec.onnx     -> PP-OCR (RapidOCR's graphs; cls.onnx optional)
///
/// `describe` reads the deciding file once and hands it on in the description; `LoadedModel(_:)`
/// is the factory for every family.
public enum ModelRegistry {
    /// Every key Loom knows, in the order messages list them, with the family it selects.
    static let entries: [(key: FamilyKey, family: ModelFamily)] = [
        (.ctranslate2Spec("WhisperSpec"), .whisper),
        (.modelType("whisper"), .whisper),
        (.ggufArchitecture("llama"), .llama),
        (.modelType("llama"), .llama),
        (.modelType("idefics3"), .idefics3),
        (.modelType("smolvlm"), .idefics3),
        (.modelType("clip"), .clip),
        (.modelType("siglip"), .siglip),
        (.modelType("clip_vision_model"), .clipVision),
        (.modelType("siglip_vision_model"), .siglipVision),
        (.modelType("bert"), .sentenceEmbedder),
        (.fileName(SileroVAD.weightFileName), .sileroVAD),
        (.fileName(SileroVAD.safetensorsFileName), .sileroVAD),
        (.fileName(PPOCR.recognizerFileName), .ppOCR),
        // llama.cpp's PROJECTOR_TYPE_NAMES (tools/mtmd/clip-impl.h) for the encoders Loom plans to run.
        (.projectorType("idefics3"), .multimodalProjector),
        (.projectorType("ultravox"), .multimodalProjector),
        (.projectorType("qwen2a"), .multimodalProjector),
        (.projectorType("voxtral"), .multimodalProjector),
    ]

    /// The general.architecture of llama.cpp's mmproj files, whose projector type names the model.
    static let projectorArchitecture = "clip"

    /// What `url` (a folder or a file) holds.
    public static func describe(_ url: URL) throws -> ModelDescription {
        try describe(url, wanted: nil)
    }

    /// What `url` holds, which must be a model of one of `families`; the error for a folder that holds
    /// nothing says what such a model looks like.
    public static func describe(_ url: URL, as families: ModelFamily...) throws -> ModelDescription {
        try describe(url, wanted: families).requiring(families)
    }

    private static func describe(_ url: URL, wanted: [ModelFamily]?) throws -> ModelDescription {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw ModelRegistryError.notFound(path: url.path)
        }
        if let model = try isFolder.boolValue ? folder(url) : file(url) { return model }
        let what = wanted.map { "\($0.map(\.aModel).joined(separator: " or ")): " + layouts(of: $0) }
            ?? "a model folder (config.json with model.safetensors, or a CTranslate2 model.bin), a .gguf file, "
            + "Silero VAD's \(SileroVAD.weightFileName), or a PP-OCR folder (\(PPOCR.detectorFileName) and \(PPOCR.recognizerFileName))"
        throw ModelRegistryError.notAModel(path: url.path, wanted: what)
    }

    /// A one-file model: GGUF (told by its magic, whatever the name) or a weight file known by name.
    private static func file(_ url: URL) throws -> ModelDescription? {
        let head = (try? FileHandle(forReadingFrom: url).read(upToCount: 4)) ?? Data()
        if head == Data("GGUF".utf8) { return try gguf(url, folder: url.deletingLastPathComponent()) }
        return namedFile(url, folder: url.deletingLastPathComponent())
    }

    /// A folder, by the files it holds: model.bin, else config.json, else one .gguf, else Silero VAD's file.
    private static func folder(_ url: URL) throws -> ModelDescription? {
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
        if names.contains("model.bin") { return try ctranslate2(folder: url) }
        if names.contains("config.json") { return try huggingFace(folder: url, names: names) }
        // llama.cpp names projector files mmproj-*.gguf; the language model is the other one.
        let ggufFiles = names.filter { $0.lowercased().hasSuffix(".gguf") }.sorted()
        let models = ggufFiles.filter { !$0.hasPrefix("mmproj") }
        let candidates = models.isEmpty ? ggufFiles : models
        if candidates.count == 1 { return try gguf(url.appendingPathComponent(candidates[0]), folder: url) }
        if candidates.count > 1 {
            throw ModelRegistryError.notAModel(
                path: url.path, wanted: "one language model .gguf file, not \(candidates.count) (\(candidates.joined(separator: ", "))); pass the file to use")
        }
        if let vad = [SileroVAD.weightFileName, SileroVAD.safetensorsFileName].first(where: names.contains) {
            return namedFile(url.appendingPathComponent(vad), folder: url)
        }
        if names.contains(PPOCR.recognizerFileName) {
            guard names.contains(PPOCR.detectorFileName) else {
                throw ModelRegistryError.missingFile(
                    path: url.appendingPathComponent(PPOCR.detectorFileName).path, what: "the text detector beside rec.onnx")
            }
            return namedFile(url.appendingPathComponent(PPOCR.recognizerFileName), folder: url)
        }
        if names.contains(where: { $0.hasSuffix(".safetensors") }) {
            throw ModelRegistryError.missingFile(
                path: url.appendingPathComponent("config.json").path, what: "the Hugging Face config.json beside its safetensors weights")
        }
        return nil
    }

    /// The family `key` selects, or the error listing the keys of its kind that Loom knows.
    static func family(_ key: FamilyKey, file: URL) throws -> ModelFamily {
        if let entry = entries.first(where: { $0.key == key }) { return entry.family }
        throw ModelRegistryError.unknownKey(file: file.path, key: key, known: known(like: key))
    }

    /// The known values of the same kind as `key`, quoted, for messages.
    static func known(like key: FamilyKey) -> [String] {
        let values: [String] = entries.compactMap { entry in
            switch (key, entry.key) {
            case (.modelType, .modelType(let value)), (.projectorType, .projectorType(let value)),
                 (.ctranslate2Spec, .ctranslate2Spec(let value)), (.ggufArchitecture, .ggufArchitecture(let value)):
                return "\"\(value)\""
            default:
                return nil
            }
        }
        if case .ggufArchitecture = key { return values + ["\"\(projectorArchitecture)\" (mmproj)"] }
        return values
    }

    /// What models of `families` look like on disk, for messages (each named by family when there are several).
    static func layouts(of families: [ModelFamily]) -> String {
        entries.filter { families.contains($0.family) }
            .map { families.count > 1 ? "\($0.key.layout) (\($0.family))" : $0.key.layout }
            .joined(separator: ", or ")
    }

    // MARK: - The layouts

    /// A CTranslate2 folder: the spec name in model.bin's header chooses the family.
    private static func ctranslate2(folder: URL) throws -> ModelDescription {
        let file = folder.appendingPathComponent("model.bin")
        let model = try CTranslate2Model(url: file)
        let key = FamilyKey.ctranslate2Spec(model.specName)
        return ModelDescription(
            family: try family(key, file: file), format: .ctranslate2, url: folder, folder: folder, key: key, keyFile: file,
            weightFiles: [file], contents: .ctranslate2(model))
    }

    /// A Hugging Face folder: config.json's model_type chooses the family; the weights are
    /// model.safetensors or the shards its index lists.
    private static func huggingFace(folder: URL, names: Set<String>) throws -> ModelDescription {
        let file = folder.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ModelRegistryError.unreadableConfig(file: file.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelRegistryError.unreadableConfig(file: file.path, reason: "is not a JSON object")
        }
        guard let type = object["model_type"] as? String else {
            throw ModelRegistryError.missingKey(file: file.path, key: "model_type", known: known(like: .modelType("")))
        }
        let key = FamilyKey.modelType(type)
        let family = try family(key, file: file)
        guard let weights = ["model.safetensors.index.json", "model.safetensors"].first(where: names.contains) else {
            throw ModelRegistryError.missingFile(
                path: folder.appendingPathComponent("model.safetensors").path,
                what: "its weights as model.safetensors (or sharded with model.safetensors.index.json)")
        }
        return ModelDescription(
            family: family, format: .safetensors, url: folder, folder: folder, key: key, keyFile: file,
            weightFiles: [folder.appendingPathComponent(weights)], contents: .configJSON(data))
    }

    /// A GGUF file: general.architecture chooses the family; llama.cpp's mmproj files (architecture
    /// "clip") are told apart by their projector type.
    private static func gguf(_ file: URL, folder: URL) throws -> ModelDescription {
        let gguf = try GGUFFile(url: file)
        guard let architecture = gguf.metadata["general.architecture"]?.string else {
            throw ModelRegistryError.missingKey(file: file.path, key: "general.architecture", known: known(like: .ggufArchitecture("")))
        }
        var key = FamilyKey.ggufArchitecture(architecture)
        if architecture == projectorArchitecture {
            // Files with an audio and a vision encoder name each projector apart.
            let keys = ["clip.projector_type", "clip.vision.projector_type", "clip.audio.projector_type"]
            guard let projector = keys.lazy.compactMap({ gguf.metadata[$0]?.string }).first else {
                throw ModelRegistryError.missingKey(file: file.path, key: "clip.projector_type", known: known(like: .projectorType("")))
            }
            key = .projectorType(projector)
        }
        return ModelDescription(
            family: try family(key, file: file), format: .gguf, url: file, folder: folder, key: key, keyFile: file,
            weightFiles: [file], contents: .gguf(gguf))
    }

    /// A weight file Loom knows by its name (Silero VAD's), nil for any other.
    private static func namedFile(_ file: URL, folder: URL) -> ModelDescription? {
        let key = FamilyKey.fileName(file.lastPathComponent)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        return ModelDescription(
            family: entry.family, format: file.pathExtension == "onnx" ? .onnx : .safetensors, url: file, folder: folder,
            key: key, keyFile: file, weightFiles: [file], contents: .namedFile)
    }
}
