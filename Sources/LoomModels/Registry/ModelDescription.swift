import Foundation
import LoomWeights

/// What a model folder or file holds, as `ModelRegistry.describe` found it: the family and weight
/// format, the key that chose them and the files. It carries what was read to decide (config.json's
/// bytes, the opened GGUF or CTranslate2 file), so the family's loader does not read it again.
public struct ModelDescription: Sendable {
    public let family: ModelFamily
    public let format: WeightFormat
    /// The folder or file that was described.
    public let url: URL
    /// The folder holding the model's files (the file's folder for a one-file model).
    public let folder: URL
    /// The value that chose the family, and the file it was read from.
    public let key: FamilyKey
    public let keyFile: URL
    /// model.safetensors or model.safetensors.index.json, model.bin, the .gguf file or the ONNX file.
    public let weightFiles: [URL]
    let contents: Contents

    /// What was read to decide.
    enum Contents: Sendable {
        /// config.json's bytes.
        case configJSON(Data)
        /// The opened file: its metadata is the config, its tensors the weights.
        case gguf(GGUFFile)
        /// The opened model.bin.
        case ctranslate2(CTranslate2Model)
        /// A weight file known by name, not read yet.
        case namedFile
    }

    /// The opened file of a GGUF model, whose metadata also holds the tokenizer and chat template.
    public var ggufFile: GGUFFile? {
        if case .gguf(let file) = contents { return file }
        return nil
    }

    /// This description when its family is one of `families`, else the error naming what it holds.
    public func requiring(_ families: ModelFamily...) throws -> ModelDescription {
        try requiring(families)
    }

    func requiring(_ families: [ModelFamily]) throws -> ModelDescription {
        guard families.contains(family) else {
            throw ModelRegistryError.wrongFamily(path: keyFile.path, found: family, key: key, wanted: families)
        }
        return self
    }

    /// config.json's bytes, for the family's config decoder.
    func configJSON() throws -> Data {
        guard case .configJSON(let data) = contents else { throw unexpectedFormat() }
        return data
    }

    /// The weights as a tensor source: a safetensors file (so errors name it) or the shards of
    /// model.safetensors.index.json, the opened GGUF or CTranslate2 file, or the ONNX initializers.
    func weights() throws -> any WeightSource {
        switch contents {
        case .gguf(let file): return file
        case .ctranslate2(let model): return model
        case .configJSON, .namedFile:
            let file = weightFiles[0]
            switch file.lastPathComponent {
            case "model.safetensors.index.json": return try SafeTensorsCheckpoint(folder: folder)
            case _ where format == .onnx: return try ONNXInitializers(url: file)
            default: return try SafeTensorsFile(url: file)
            }
        }
    }

    /// For a loader handed a format its family does not come in (only the registry makes descriptions,
    /// so this means a new table entry without a loader).
    func unexpectedFormat() -> ModelRegistryError {
        .notSupportedYet(file: keyFile.path, family: family, key: key)
    }
}
