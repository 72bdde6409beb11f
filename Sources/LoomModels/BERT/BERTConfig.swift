import Foundation
import LoomTensor

/// The fields of a Hugging Face BertConfig (transformers/models/bert/configuration_bert.py) that the
/// encoder uses, read from config.json.
public struct BERTConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var gelu: GELUApproximation

    public var headDim: Int { hiddenSize / headCount }

    public init(
        vocabSize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
        maxPositions: Int, typeVocabSize: Int, layerNormEps: Float = 1e-12, gelu: GELUApproximation = .none
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.gelu = gelu
    }

    /// Reads config.json; another model type, activation or position embedding is `.unsupported`.
    public init(contentsOf url: URL) throws {
        try self.init(object: BERTModelError.jsonObject(url), file: url.path)
    }

    /// Decodes config.json's bytes; `file` names it in errors.
    public init(json data: Data, file: String) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw BERTModelError(file: file, .malformed("not a JSON object"))
        }
        try self.init(object: object, file: file)
    }

    private init(object: [String: Any], file: String) throws {
        func fail(_ kind: BERTModelError.Kind) -> BERTModelError { BERTModelError(file: file, kind) }
        func positive(_ key: String, default value: Int? = nil) throws -> Int {
            guard object[key] != nil || value != nil else { throw fail(.malformed("\(key) is missing")) }
            guard let n = object[key] == nil ? value : BERTModelError.int(object[key]), n > 0, n < 1 << 24 else {
                throw fail(.malformed("\(key) is not a positive integer"))
            }
            return n
        }
        let modelType = object["model_type"] as? String ?? "(missing)"
        guard modelType == "bert" else { throw fail(.unsupported("model_type \(modelType), expected bert")) }
        let positionType = object["position_embedding_type"] as? String ?? "absolute"
        guard positionType == "absolute" else { throw fail(.unsupported("position_embedding_type \(positionType)")) }
        let act = object["hidden_act"] as? String ?? "gelu"
        switch act {
        case "gelu": gelu = .none
        case "gelu_new", "gelu_pytorch_tanh": gelu = .tanh
        default: throw fail(.unsupported("hidden_act \(act)"))
        }
        vocabSize = try positive("vocab_size")
        hiddenSize = try positive("hidden_size")
        layerCount = try positive("num_hidden_layers")
        headCount = try positive("num_attention_heads")
        intermediateSize = try positive("intermediate_size")
        maxPositions = try positive("max_position_embeddings", default: 512)
        typeVocabSize = try positive("type_vocab_size", default: 2)
        let eps = (object["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12
        guard eps > 0, eps < 1 else { throw fail(.malformed("layer_norm_eps \(eps) is not in (0, 1)")) }
        layerNormEps = Float(eps)
        guard hiddenSize % headCount == 0 else {
            throw fail(.malformed("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)"))
        }
    }
}
