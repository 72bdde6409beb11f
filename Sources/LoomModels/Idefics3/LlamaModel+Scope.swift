import Foundation
import LoomWeights

extension LlamaModel {
    /// A Llama text model whose tensors sit under `model` (e.g. `model.text_model` in an Idefics3 /
    /// SmolVLM checkpoint) with the output head at `head.weight` (e.g. `lm_head`), in Hugging Face
    /// names (modeling_llama.py). Without `head.weight`, the head is the embedding (tied).
    /// Does not check for left-over tensors: the caller owns the whole file.
    convenience init(config: LlamaConfig, model: WeightScope, head: WeightScope, path: String) throws {
        let c = config
        let layers = try (0..<c.numHiddenLayers).map { i in
            let layer = model.scope("layers", i)
            return LlamaLayerWeights(
                attentionNorm: try layer.tensor("input_layernorm.weight", shape: [c.hiddenSize]).data,
                query: try LlamaWeights.matrix(layer, "self_attn.q_proj.weight", c.numAttentionHeads * c.headDim, c.hiddenSize),
                key: try LlamaWeights.matrix(layer, "self_attn.k_proj.weight", c.numKeyValueHeads * c.headDim, c.hiddenSize),
                value: try LlamaWeights.matrix(layer, "self_attn.v_proj.weight", c.numKeyValueHeads * c.headDim, c.hiddenSize),
                attentionOutput: try LlamaWeights.matrix(layer, "self_attn.o_proj.weight", c.hiddenSize, c.numAttentionHeads * c.headDim),
                mlpNorm: try layer.tensor("post_attention_layernorm.weight", shape: [c.hiddenSize]).data,
                gate: try LlamaWeights.matrix(layer, "mlp.gate_proj.weight", c.intermediateSize, c.hiddenSize),
                up: try LlamaWeights.matrix(layer, "mlp.up_proj.weight", c.intermediateSize, c.hiddenSize),
                down: try LlamaWeights.matrix(layer, "mlp.down_proj.weight", c.hiddenSize, c.intermediateSize))
        }
        let embedding = try LlamaWeights.matrix(model, "embed_tokens.weight", c.vocabSize, c.hiddenSize)
        let output = head.contains("weight") ? try LlamaWeights.matrix(head, "weight", c.vocabSize, c.hiddenSize) : embedding
        let weights = LlamaWeights(
            embedding: embedding, layers: layers, finalNorm: try model.tensor("norm.weight", shape: [c.hiddenSize]).data,
            output: output, ropeFrequencyFactors: nil)
        self.init(config: config, weights: weights, ropePairing: .halves, path: path)
    }
}
