import Foundation

/// A model ready to load: where it is and what layout it has.
public struct ModelLocation: Sendable, Equatable {
    public enum Layout: String, Sendable {
        /// One .gguf file (weights, tokenizer and chat template in its metadata).
        case ggufFile = "GGUF file"
        /// A CTranslate2 folder: model.bin + config.json (+ tokenizer.json / vocabulary.txt).
        case ctranslate2Folder = "CTranslate2 folder"
        /// A Hugging Face folder: config.json + *.safetensors (+ tokenizer.json, preprocessor_config.json).
        case huggingFaceFolder = "Hugging Face folder"
        /// A single .safetensors file.
        case safetensorsFile = "safetensors file"
        /// A catalog folder of ONNX graphs.
        case onnxFolder = "ONNX folder"
    }

    public let url: URL
    public let layout: Layout
    /// The catalog name when it came from the store.
    public let catalogName: String?
}

/// Turns what a user passes as `--model` (a catalog name or a path) into a model location.
public struct ModelLocator: Sendable {
    public let store: ModelStore

    public init(store: ModelStore = ModelStore()) {
        self.store = store
    }

    /// Paths win over names: `--model ./whisper-base` is the local folder even if the catalog has the name.
    public func locate(_ spec: String) throws -> ModelLocation {
        let expanded = (spec as NSString).expandingTildeInPath
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            let url = URL(fileURLWithPath: expanded, isDirectory: isDirectory.boolValue).standardizedFileURL
            return ModelLocation(url: url, layout: try Self.layout(of: url, isDirectory: isDirectory.boolValue), catalogName: nil)
        }
        guard let model = Catalog.model(named: spec) else {
            if spec.contains("/") || spec.hasSuffix(".gguf") || spec.hasSuffix(".safetensors") {
                throw ModelStoreError.notAModel(path: spec, reason: "no such file or folder")
            }
            throw ModelStoreError.unknownModel(spec, known: Catalog.models.map(\.name))
        }
        let url = try store.path(of: model)
        let isFolder = model.entryFile == nil
        return ModelLocation(url: url, layout: try Self.layout(of: url, isDirectory: isFolder), catalogName: model.name)
    }

    /// Recognizes a model layout from the files present, not from names.
    static func layout(of url: URL, isDirectory: Bool) throws -> ModelLocation.Layout {
        let fm = FileManager.default
        if !isDirectory {
            let head = (try? FileHandle(forReadingFrom: url).read(upToCount: 4)) ?? Data()
            if head == Data("GGUF".utf8) { return .ggufFile }
            if url.pathExtension == "safetensors" { return .safetensorsFile }
            throw ModelStoreError.notAModel(
                path: url.path, reason: "not a GGUF or safetensors file; pass a .gguf file or a model folder")
        }
        let names = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
        if names.contains("model.bin") && names.contains("config.json") { return .ctranslate2Folder }
        if names.contains("config.json") && names.contains(where: { $0.hasSuffix(".safetensors") || $0 == "model.safetensors.index.json" }) {
            return .huggingFaceFolder
        }
        if names.contains(where: { $0.hasSuffix(".onnx") }) { return .onnxFolder }
        throw ModelStoreError.notAModel(
            path: url.path,
            reason: "not a model folder: expected config.json with *.safetensors (Hugging Face layout) or model.bin (CTranslate2)")
    }
}
