import Foundation
import LoomTensor
import LoomWeights

// BertModel's forward pass without the pooler (transformers/models/bert/modeling_bert.py): embeddings
// (word + absolute position + token type, LayerNorm), then post-LN layers: self-attention, dense,
// residual + LayerNorm; intermediate dense + GELU, output dense, residual + LayerNorm.

/// A loaded BERT encoder. Immutable and shareable across threads.
public struct BERTEncoder: Sendable {
    public let config: BERTConfig
    let weights: BERTWeights
    /// Where the weights were read, for errors about input.
    public let path: String

    /// Reads config.json and model.safetensors (or a sharded checkpoint) from a Hugging Face folder.
    public init(folder: URL) throws {
        try self.init(ModelRegistry.describe(folder, as: .sentenceEmbedder))
    }

    /// The encoder of a sentence-transformers folder the registry described.
    public init(_ model: ModelDescription) throws {
        let model = try model.requiring(.sentenceEmbedder)
        try self.init(config: BERTConfig(json: model.configJSON(), file: model.keyFile.path), source: model.weights())
    }

    public init(config: BERTConfig, source: any WeightSource) throws {
        self.config = config
        weights = try BERTWeights(source: source, config: config)
        path = source.path
    }

    /// Last hidden states of several sequences, packed end to end: (total tokens, hidden), sequence n at
    /// rows `ranges[n]`. Each sequence attends only to itself, as a padded batch with its attention mask.
    ///
    /// `typeIDs`, when given, has one array per sequence of the same lengths (default all 0). Throws
    /// `.badInput` for an id outside the vocabulary or a sequence longer than the position table.
    public func hiddenStates(_ sequences: [[Int]], typeIDs: [[Int]]? = nil) throws -> (states: Tensor, ranges: [Range<Int>]) {
        let c = config
        var ranges: [Range<Int>] = []
        var start = 0
        for (n, ids) in sequences.enumerated() {
            guard ids.count <= c.maxPositions else {
                throw BERTModelError(file: path, .badInput("sequence \(n) has \(ids.count) tokens, the model takes at most \(c.maxPositions); truncate it"))
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= c.vocabSize }) {
                throw BERTModelError(file: path, .badInput("sequence \(n) has token id \(bad), outside the vocabulary 0..<\(c.vocabSize)"))
            }
            if let typeIDs {
                guard typeIDs.count == sequences.count, typeIDs[n].count == ids.count else {
                    throw BERTModelError(file: path, .badInput("token type ids of sequence \(n) do not match its length"))
                }
                if let bad = typeIDs[n].first(where: { $0 < 0 || $0 >= c.typeVocabSize }) {
                    throw BERTModelError(file: path, .badInput("sequence \(n) has token type id \(bad), outside 0..<\(c.typeVocabSize)"))
                }
            }
            ranges.append(start..<(start + ids.count))
            start += ids.count
        }
        var x = embed(sequences, typeIDs: typeIDs, tokens: start)
        if start == 0 { return (x, ranges) }
        var rows: [Float] = []
        swap(&rows, &x.data)  // the layers update the rows in place, with no copy of the array
        var workspace = BERTWorkspace(tokens: start, config: c)
        for layer in weights.layers {
            BERTLayerPass.run(layer, config: c, x: &rows, ranges: ranges, workspace: &workspace)
        }
        return (Tensor(shape: x.shape, data: rows), ranges)
    }

    /// word + position + type embeddings, then LayerNorm: (tokens, H).
    private func embed(_ sequences: [[Int]], typeIDs: [[Int]]?, tokens: Int) -> Tensor {
        let h = config.hiddenSize
        var x = Tensor(zeros: [tokens, h])
        x.data.withUnsafeMutableBufferPointer { xb in
            weights.wordEmbeddings.data.withUnsafeBufferPointer { word in
                weights.positionEmbeddings.data.withUnsafeBufferPointer { position in
                    weights.typeEmbeddings.data.withUnsafeBufferPointer { type in
                        var row = 0
                        for (n, ids) in sequences.enumerated() {
                            for (t, id) in ids.enumerated() {
                                let out = xb.baseAddress! + row * h
                                let w = word.baseAddress! + id * h
                                let p = position.baseAddress! + t * h
                                let y = type.baseAddress! + (typeIDs?[n][t] ?? 0) * h
                                for d in 0..<h { out[d] = w[d] + p[d] + y[d] }
                                row += 1
                            }
                        }
                    }
                }
            }
        }
        return x.layerNorm(weight: weights.embeddingNormWeight, bias: weights.embeddingNormBias, eps: config.layerNormEps)
    }
}
