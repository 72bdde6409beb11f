/// The tensor names of a Llama decoder in each format Loom reads, written once: llama.cpp's
/// LLM_TENSOR_NAMES for LLM_ARCH_LLAMA (src/llama-arch.cpp) and transformers' LlamaForCausalLM
/// (transformers/models/llama/modeling_llama.py). Layer, embedding and norm names are relative to the
/// decoder's scope, the output head's to the head's scope; a model that embeds a Llama (Idefics3 /
/// SmolVLM) reads the Hugging Face names under scopes of its own.
struct LlamaWeightNames: Sendable {
    /// Where the decoder and the head sit in a file of this format alone (nil: at the root).
    let decoder: String?
    let head: String?
    /// Layer i is `layers.i`.
    let layers: String
    let attentionNorm, query, key, value, attentionOutput: String
    let mlpNorm, gate, up, down: String
    let embedding, finalNorm: String
    let output: String
    /// Per-frequency rotary divisors (llama 3 scaling baked in by llama.cpp), when the format has them.
    let ropeFrequencies: String?
    /// The suffix of stored rotary caches, which are recomputed instead.
    let rotaryCache: String
    /// How this format's q/k rows pair features for rotary embeddings.
    let ropePairing: LlamaRopePairing

    static let gguf = LlamaWeightNames(
        decoder: nil, head: nil, layers: "blk",
        attentionNorm: "attn_norm.weight", query: "attn_q.weight", key: "attn_k.weight", value: "attn_v.weight",
        attentionOutput: "attn_output.weight",
        mlpNorm: "ffn_norm.weight", gate: "ffn_gate.weight", up: "ffn_up.weight", down: "ffn_down.weight",
        embedding: "token_embd.weight", finalNorm: "output_norm.weight", output: "output.weight",
        ropeFrequencies: "rope_freqs.weight", rotaryCache: "attn_rot_embd", ropePairing: .adjacent)

    static let huggingFace = LlamaWeightNames(
        decoder: "model", head: "lm_head", layers: "layers",
        attentionNorm: "input_layernorm.weight", query: "self_attn.q_proj.weight", key: "self_attn.k_proj.weight",
        value: "self_attn.v_proj.weight", attentionOutput: "self_attn.o_proj.weight",
        mlpNorm: "post_attention_layernorm.weight", gate: "mlp.gate_proj.weight", up: "mlp.up_proj.weight",
        down: "mlp.down_proj.weight",
        embedding: "embed_tokens.weight", finalNorm: "norm.weight", output: "weight",
        ropeFrequencies: nil, rotaryCache: "rotary_emb.inv_freq", ropePairing: .halves)
}
