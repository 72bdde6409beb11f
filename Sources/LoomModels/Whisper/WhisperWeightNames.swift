/// The tensor names of Whisper in each format Loom reads, written once, side by side: transformers'
/// WhisperForConditionalGeneration (models/whisper/modeling_whisper.py) and CTranslate2's WhisperSpec
/// (ctranslate2/specs/whisper_spec.py, written by converters/transformers.py WhisperLoader). Names are
/// relative to the scope their part is read from. The formats store attention differently: Hugging
/// Face keeps q, k, v apart (k without a bias), CTranslate2 fuses them as Loom runs them.
enum WhisperWeightNames {
    enum HuggingFace {
        /// The prefix of WhisperForConditionalGeneration checkpoints (a bare WhisperModel has none);
        /// `probe` tells which one a file is.
        static let model = "model"
        static let probe = "model.encoder.conv1.weight"
        static let encoder = "encoder", decoder = "decoder", layers = "layers"
        /// Every Linear, LayerNorm and convolution stores `.weight` and `.bias`.
        static let weight = ".weight", bias = ".bias"
        static let conv1 = "conv1", conv2 = "conv2"
        static let positions = "embed_positions.weight"
        static let tokenEmbedding = "embed_tokens.weight"
        /// The encoder's and the decoder's last LayerNorm.
        static let finalNorm = "layer_norm"
        /// The output head, at the top of the file; tied to the token embedding and usually not stored.
        static let outputProjection = "proj_out.weight"

        static let selfAttentionNorm = "self_attn_layer_norm"
        static let selfAttention = (query: "self_attn.q_proj", key: "self_attn.k_proj", value: "self_attn.v_proj", output: "self_attn.out_proj")
        static let crossAttentionNorm = "encoder_attn_layer_norm"
        static let crossAttention = (query: "encoder_attn.q_proj", key: "encoder_attn.k_proj", value: "encoder_attn.v_proj", output: "encoder_attn.out_proj")
        static let mlpNorm = "final_layer_norm", fc1 = "fc1", fc2 = "fc2"
    }

    enum CTranslate2 {
        static let separator = "/"
        static let encoder = "encoder", decoder = "decoder"
        static func layer(_ index: Int) -> String { "layer_\(index)" }
        /// Linears and convolutions store `weight` and `bias`, LayerNorms `gamma` and `beta`.
        static let weight = "/weight", bias = "/bias", normScale = "/gamma", normShift = "/beta"
        static let conv1 = "conv1", conv2 = "conv2"
        static let positions = "position_encodings/encodings"
        static let tokenEmbedding = "embeddings/weight"
        static let finalNorm = "layer_norm"
        /// Under the decoder; usually an alias of the token embedding.
        static let outputProjection = "projection/weight"

        static let selfAttentionNorm = "self_attention/layer_norm"
        /// linear_0 is q, k and v stacked (3 x width rows).
        static let selfAttention = (queryKeyValue: "self_attention/linear_0", output: "self_attention/linear_1")
        static let crossAttentionNorm = "attention/layer_norm"
        /// linear_1 is k and v stacked (2 x width rows).
        static let crossAttention = (query: "attention/linear_0", keyValue: "attention/linear_1", output: "attention/linear_2")
        static let mlpNorm = "ffn/layer_norm", fc1 = "ffn/linear_0", fc2 = "ffn/linear_1"
        /// The spec's head counts, stored as scalars.
        static let headCount = "num_heads"
    }
}
