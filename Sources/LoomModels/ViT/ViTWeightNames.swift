/// The tensor names of the ViT-style towers, written once: transformers' CLIPModel and SiglipModel
/// (models/clip/modeling_clip.py, models/siglip/modeling_siglip.py) and the SigLIP tower inside
/// Idefics3 / SmolVLM (models/idefics3/modeling_idefics3.py). Each name is relative to the scope its
/// part is read from; `.weight` / `.bias` of every torch Linear and LayerNorm are added by
/// `LinearLayer` and `LayerNormLayer`.
enum ViTWeightNames {
    /// CLIPEncoder / SiglipEncoder: `layers.N`, each CLIPEncoderLayer / SiglipEncoderLayer.
    enum Encoder {
        static let layers = "layers"
        static let layerNorm1 = "layer_norm1", selfAttention = "self_attn", layerNorm2 = "layer_norm2", mlp = "mlp"
        /// The attention's projections (CLIPAttention / SiglipAttention).
        static let query = "q_proj", key = "k_proj", value = "v_proj", output = "out_proj"
        /// The MLP's two Linears (CLIPMLP / SiglipMLP).
        static let fc1 = "fc1", fc2 = "fc2"
    }

    /// A vision tower (CLIPVisionTransformer / SiglipVisionTransformer).
    enum Vision {
        static let embeddings = "embeddings"
        /// CLIP's class token; SigLIP has none.
        static let classEmbedding = "class_embedding"
        /// The patch convolution: `.weight` (D, C, P, P), and `.bias` in SigLIP.
        static let patchEmbedding = "patch_embedding"
        static let positionEmbedding = "position_embedding.weight"
        /// Sic: CLIP's checkpoints spell it so.
        static let preLayerNorm = "pre_layrnorm"
        static let encoder = "encoder"
        static let postLayerNorm = "post_layernorm"
        /// SigLIP's attention-pooling head.
        static let head = "head"
    }

    /// SiglipMultiheadAttentionPoolingHead: a learned probe attends over the patches.
    enum PoolingHead {
        static let probe = "probe"
        /// torch.nn.MultiheadAttention: q, k, v stacked in `in_proj_*`, then `out_proj`.
        static let attention = "attention"
        static let inProjectionWeight = "in_proj_weight", inProjectionBias = "in_proj_bias", outProjection = "out_proj"
        static let layerNorm = "layernorm", mlp = "mlp"
    }

    /// A text tower (CLIPTextTransformer / SiglipTextTransformer).
    enum Text {
        static let tokenEmbedding = "embeddings.token_embedding.weight"
        static let positionEmbedding = "embeddings.position_embedding.weight"
        static let encoder = "encoder"
        static let finalLayerNorm = "final_layer_norm"
        /// SigLIP's Linear on the last token.
        static let head = "head"
    }

    /// A CLIPModel / SiglipModel checkpoint: both towers and the similarity scalars.
    enum DualEncoder {
        static let vision = "vision_model", text = "text_model"
        /// CLIP's bias-free projections into the shared space.
        static let visualProjection = "visual_projection", textProjection = "text_projection"
        static let logitScale = "logit_scale"
        /// SigLIP's.
        static let logitBias = "logit_bias"
        /// Index buffers old checkpoints store; recomputed, so left unread.
        static let indexBuffer = "position_ids"
    }

    /// Where the parts sit in an Idefics3ForConditionalGeneration checkpoint; the text model's own
    /// names are `LlamaWeightNames.huggingFace`.
    enum Idefics3 {
        static let vision = "model.vision_model"
        static let connector = "model.connector"
        /// The connector's bias-free Linear after the pixel shuffle.
        static let projection = "modality_projection.proj"
        static let text = "model.text_model"
        static let head = "lm_head"
    }
}
