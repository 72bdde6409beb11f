import LoomTensor
import LoomWeights

/// SiglipTextModel (transformers/models/siglip/modeling_siglip.py): token + position embeddings,
/// bidirectional pre-LN encoder (no causal mask, unlike CLIP), final_layer_norm, the last token's
/// state through `head` (Linear).
public struct SigLIPTextTransformer: Sendable {
    public let config: SigLIPTextConfig
    let tokenEmbedding: Tensor  // (vocab, D)
    let positionEmbedding: Tensor  // (maxPositions, D)
    let encoder: TransformerEncoder
    let finalLayerNorm: LayerNormLayer
    let head: LinearLayer  // (projection_size, D)

    /// Reads the tower under `scope` (`text_model` in a SiglipModel checkpoint).
    public init(config: SigLIPTextConfig, weights scope: WeightScope) throws {
        self.config = config
        typealias Names = ViTWeightNames.Text
        let d = config.hiddenSize
        tokenEmbedding = try scope.tensor(Names.tokenEmbedding, shape: [config.vocabSize, d])
        positionEmbedding = try scope.tensor(Names.positionEmbedding, shape: [config.maxPositionEmbeddings, d])
        encoder = try TransformerEncoder(scope.scope(Names.encoder), shape: config.encoderShape)
        finalLayerNorm = try LayerNormLayer(scope, Names.finalLayerNorm, dim: d, eps: config.layerNormEps)
        head = try LinearLayer(scope, Names.head, in: d, out: config.headSize)
    }

    /// (last_hidden_state (T, D) after final_layer_norm, pooled (projection_size)) for one sequence.
    /// The pooled state is the last position's, padding or not: SigLIP's tokenizer pads every text
    /// to a fixed length (64 for the released models) and the model was trained that way.
    public func callAsFunction(_ ids: [Int]) throws -> (lastHiddenState: Tensor, pooled: Tensor) {
        let hidden = try embedTokens(ids, tokenTable: tokenEmbedding, positionTable: positionEmbedding)
        let last = finalLayerNorm(encoder(hidden))
        let d = config.hiddenSize, row = ids.count - 1
        let lastToken = Tensor(shape: [1, d], data: Array(last.data[(row * d)..<((row + 1) * d)]))
        return (last, head(lastToken).reshaped([config.headSize]))
    }
}
