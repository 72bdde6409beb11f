import LoomCheck
import Foundation
import LoomFeatures
import LoomTensor
import LoomWeights

/// Decoding the config.json of a Hugging Face folder the registry described.
enum ModelFolder {
    /// Decodes config.json's bytes; decoding failures name the file and the field.
    static func config<Config: Decodable>(_ type: Config.Type, from model: ModelDescription) throws -> Config {
        let file = model.keyFile.path
        do {
            let config = try JSONDecoder().decode(Config.self, from: try model.configJSON())
            try (config as? any ValidatedConfig)?.validate()
            return config
        } catch let error as EncoderError {
            throw error.inFile(file)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw EncoderError.invalidConfig(file: file, field: context.fieldPath, reason: "has the wrong type: \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw EncoderError.invalidConfig(file: file, field: context.fieldPath, reason: "is not valid: \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw EncoderError.invalidConfig(file: file, field: (context.codingPath + [key]).map(\.stringValue).joined(separator: "."), reason: "is missing")
        } catch let error as ModelRegistryError {
            throw error
        } catch {
            throw EncoderError.invalidConfig(file: file, field: "", reason: "cannot be decoded: \(error)")
        }
    }

    /// The folder's image preprocessing, when it has a preprocessor_config.json.
    static func imageProcessor(_ model: ModelDescription) throws -> (any ImageProcessing)? {
        let file = model.folder.appendingPathComponent("preprocessor_config.json")
        return FileManager.default.fileExists(atPath: file.path) ? try ImageProcessors.load(folder: model.folder) : nil
    }
}

/// A config that checks its own sizes after decoding (errors leave the file empty for `config` to fill).
protocol ValidatedConfig {
    func validate() throws
}

extension DecodingError.Context {
    var fieldPath: String { codingPath.map(\.stringValue).joined(separator: ".") }
}

extension EncoderError {
    /// A config validation error raised while decoding, with the file filled in.
    func inFile(_ file: String) -> EncoderError {
        switch self {
        case let .invalidConfig(_, field, reason): return .invalidConfig(file: file, field: field, reason: reason)
        case let .wrongModelType(_, found, expected): return .wrongModelType(file: file, found: found, expected: expected)
        default: return self
        }
    }
}

extension KeyedDecodingContainer {
    /// An image or patch side: an integer, or [h, w] with h == w (Loom's ViTs are square).
    func decodeSide(_ key: Key) throws -> Int? {
        if let side = try? decodeIfPresent(Int.self, forKey: key) { return side }
        guard let pair = try decodeIfPresent([Int].self, forKey: key) else { return nil }
        guard pair.count == 2, pair[0] == pair[1] else {
            throw EncoderError.invalidConfig(file: "", field: key.stringValue, reason: "is \(pair); only square sizes are supported")
        }
        return pair[0]
    }
}

/// Checks an encoder's sizes so kernels never see shapes they would stop on.
func validate(_ shape: EncoderShape, section: String) throws {
    func check(_ ok: Bool, _ field: String, _ reason: String) throws {
        if !ok { throw EncoderError.invalidConfig(file: "", field: section + "." + field, reason: reason) }
    }
    try check(shape.hiddenSize > 0, "hidden_size", "must be positive")
    try check(shape.intermediateSize > 0, "intermediate_size", "must be positive")
    try check(shape.layers >= 0, "num_hidden_layers", "must not be negative")
    try check(shape.heads > 0 && shape.hiddenSize % shape.heads == 0, "num_attention_heads",
              "must be positive and divide hidden_size \(shape.hiddenSize)")
    try check(shape.layerNormEps > 0, "layer_norm_eps", "must be positive")
}

/// `v / ||v||`, as transformers' `x / x.norm(p=2, dim=-1, keepdim=True)`.
func l2Normalized(_ v: [Float]) -> [Float] {
    var sum: Float = 0
    for x in v { sum += x * x }
    let norm = sum.squareRoot()
    return norm > 0 ? v.map { $0 / norm } : v
}

/// The dot product of two equal-length vectors (the cosine of normalized embeddings).
func dot(_ a: [Float], _ b: [Float]) -> Float {
    require(a.count == b.count, "embedding lengths differ: \(a.count) vs \(b.count)")
    var sum: Float = 0
    for i in a.indices { sum += a[i] * b[i] }
    return sum
}

/// Token embeddings plus learned positions 0..<T (CLIPTextEmbeddings / SiglipTextEmbeddings), after
/// checking the ids: none empty, not too many, all inside the vocabulary.
func embedTokens(_ ids: [Int], tokenTable: Tensor, positionTable: Tensor) throws -> Tensor {
    let vocabulary = tokenTable.shape[0], hidden = tokenTable.shape[1], maxPositions = positionTable.shape[0]
    guard !ids.isEmpty else { throw EncoderError.emptyTokenSequence }
    guard ids.count <= maxPositions else { throw EncoderError.sequenceTooLong(count: ids.count, maxPositions: maxPositions) }
    for (position, id) in ids.enumerated() where id < 0 || id >= vocabulary {
        throw EncoderError.tokenOutOfRange(id: id, position: position, vocabularySize: vocabulary)
    }
    var out = Tensor(zeros: [ids.count, hidden])
    out.data.withUnsafeMutableBufferPointer { o in
        tokenTable.data.withUnsafeBufferPointer { t in
            positionTable.data.withUnsafeBufferPointer { p in
                for (i, id) in ids.enumerated() {
                    for d in 0..<hidden { o[i * hidden + d] = t[id * hidden + d] + p[i * hidden + d] }
                }
            }
        }
    }
    return out
}

/// Accepts pixel values (3, H, W) or (1, 3, H, W) at `side` x `side`, as (3, H, W).
func squareImage(_ pixelValues: Tensor, channels: Int, side: Int) throws -> Tensor {
    let expected = [channels, side, side]
    if pixelValues.shape == expected { return pixelValues }
    if pixelValues.shape == [1] + expected { return pixelValues.reshaped(expected) }
    throw EncoderError.wrongImageShape(got: pixelValues.shape, expected: expected)
}
