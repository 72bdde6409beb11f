import LoomTensor
import LoomWeights

/// CLIPTextModel (transformers/models/clip/modeling_clip.py): token + position embeddings, causal
/// pre-LN encoder, final_layer_norm, pooled at the end-of-text token.
public struct CLIPTextTransformer: Sendable {
    public let config: CLIPTextConfig
    let tokenEmbedding: Tensor  // (vocab, D)
    let positionEmbedding: Tensor  // (maxPositions, D)
    let encoder: TransformerEncoder
    let finalLayerNorm: LayerNormLayer

    /// Reads the tower under `scope` (`text_model` in a CLIPModel checkpoint).
    public init(config: CLIPTextConfig, weights scope: WeightScope) throws {
        self.config = config
        typealias Names = ViTWeightNames.Text
        let d = config.hiddenSize
        tokenEmbedding = try scope.tensor(Names.tokenEmbedding, shape: [config.vocabSize, d])
        positionEmbedding = try scope.tensor(Names.positionEmbedding, shape: [config.maxPositionEmbeddings, d])
        encoder = try TransformerEncoder(scope.scope(Names.encoder), shape: config.encoderShape)
        finalLayerNorm = try LayerNormLayer(scope, Names.finalLayerNorm, dim: d, eps: config.layerNormEps)
    }

    /// The position whose state is pooled, as CLIPTextModel.forward: with eos_token_id == 2 (configs
    /// from before transformers PR #24773) the argmax of the ids (the end-of-text token had the highest
    /// id); otherwise the first position holding eos_token_id, or 0 when there is none (argmax of zeros).
    public func poolingPosition(_ ids: [Int]) -> Int {
        if config.eosTokenId == 2 {
            // torch.argmax returns the first maximal index.
            var best = 0
            for i in ids.indices where ids[i] > ids[best] { best = i }
            return best
        }
        return ids.firstIndex(of: config.eosTokenId) ?? 0
    }

    /// (last_hidden_state (T, D) after final_layer_norm, pooled (D)) for one token sequence.
    public func callAsFunction(_ ids: [Int]) throws -> (lastHiddenState: Tensor, pooled: Tensor) {
        let hidden = try embedTokens(ids, tokenTable: tokenEmbedding, positionTable: positionEmbedding)
        let last = finalLayerNorm(encoder(hidden, causal: true))
        let d = config.hiddenSize, row = poolingPosition(ids)
        return (last, Tensor(shape: [d], data: Array(last.data[(row * d)..<((row + 1) * d)])))
    }
}
