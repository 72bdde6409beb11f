import Foundation
import LoomTensor
import LoomWeights

// Weight names of transformers' BertModel (transformers/models/bert/modeling_bert.py). A
// sentence-transformers model.safetensors stores them without a prefix; checkpoints saved from a
// BertFor... head model put them under "bert.".

/// One post-LN encoder layer. Query, key and value are stacked into one (3H, H) weight so a single
/// GEMM projects all three.
struct BERTLayerWeights: Sendable {
    let qkvWeight: Tensor  // (3H, H)
    let qkvBias: Tensor  // (3H)
    let attentionOutWeight: Tensor  // (H, H)
    let attentionOutBias: Tensor
    let attentionNormWeight: Tensor
    let attentionNormBias: Tensor
    let intermediateWeight: Tensor  // (I, H)
    let intermediateBias: Tensor
    let outputWeight: Tensor  // (H, I)
    let outputBias: Tensor
    let outputNormWeight: Tensor
    let outputNormBias: Tensor

    init(_ scope: WeightScope, config c: BERTConfig) throws {
        let h = c.hiddenSize, i = c.intermediateSize
        let attention = scope.scope("attention")
        let q = try attention.tensor("self.query.weight", shape: [h, h])
        let k = try attention.tensor("self.key.weight", shape: [h, h])
        let v = try attention.tensor("self.value.weight", shape: [h, h])
        qkvWeight = Tensor(shape: [3 * h, h], data: q.data + k.data + v.data)
        let qb = try attention.tensor("self.query.bias", shape: [h])
        let kb = try attention.tensor("self.key.bias", shape: [h])
        let vb = try attention.tensor("self.value.bias", shape: [h])
        qkvBias = Tensor(shape: [3 * h], data: qb.data + kb.data + vb.data)
        attentionOutWeight = try attention.tensor("output.dense.weight", shape: [h, h])
        attentionOutBias = try attention.tensor("output.dense.bias", shape: [h])
        attentionNormWeight = try attention.tensor("output.LayerNorm.weight", shape: [h])
        attentionNormBias = try attention.tensor("output.LayerNorm.bias", shape: [h])
        intermediateWeight = try scope.tensor("intermediate.dense.weight", shape: [i, h])
        intermediateBias = try scope.tensor("intermediate.dense.bias", shape: [i])
        outputWeight = try scope.tensor("output.dense.weight", shape: [h, i])
        outputBias = try scope.tensor("output.dense.bias", shape: [h])
        outputNormWeight = try scope.tensor("output.LayerNorm.weight", shape: [h])
        outputNormBias = try scope.tensor("output.LayerNorm.bias", shape: [h])
    }
}

/// Every weight of a BertModel encoder, converted to float32 once at load.
struct BERTWeights: Sendable {
    let wordEmbeddings: Tensor  // (V, H)
    let positionEmbeddings: Tensor  // (P, H)
    let typeEmbeddings: Tensor  // (T, H)
    let embeddingNormWeight: Tensor
    let embeddingNormBias: Tensor
    let layers: [BERTLayerWeights]

    /// Reads the weights and checks that the file holds nothing else but the pooler head (which
    /// sentence embeddings do not use) and the position_ids buffer.
    init(source: any WeightSource, config c: BERTConfig) throws {
        let root = WeightScope(source)
        let scope = source.contains("bert.embeddings.word_embeddings.weight") ? root.scope("bert") : root
        let h = c.hiddenSize
        let embeddings = scope.scope("embeddings")
        wordEmbeddings = try embeddings.tensor("word_embeddings.weight", shape: [c.vocabSize, h])
        positionEmbeddings = try embeddings.tensor("position_embeddings.weight", shape: [c.maxPositions, h])
        typeEmbeddings = try embeddings.tensor("token_type_embeddings.weight", shape: [c.typeVocabSize, h])
        embeddingNormWeight = try embeddings.tensor("LayerNorm.weight", shape: [h])
        embeddingNormBias = try embeddings.tensor("LayerNorm.bias", shape: [h])
        layers = try WeightScope.layers(c.layerCount) { try BERTLayerWeights(scope.scope("encoder.layer", $0), config: c) }
        let allowed = [scope.fullName("pooler."), scope.fullName("embeddings.position_ids"), scope.fullName("embeddings.token_type_ids")]
        try root.verifyAllUsed { name in allowed.contains { name.hasPrefix($0) } }
    }
}
