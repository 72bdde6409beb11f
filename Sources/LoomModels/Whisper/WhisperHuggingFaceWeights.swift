import Foundation
import LoomTensor
import LoomWeights

// A Hugging Face Whisper folder: config.json (model_type "whisper") + model.safetensors (or shards),
// optionally generation_config.json (alignment_heads, lang_to_id), as saved by transformers'
// WhisperForConditionalGeneration (transformers/models/whisper/modeling_whisper.py). Tensor names carry
// a "model." prefix there (none when a bare WhisperModel was saved); `proj_out.weight` is tied to the
// token embedding and usually not stored. The tensor names below are the only place they are written.

enum WhisperHuggingFace {
    /// config.json fields Whisper needs (transformers' WhisperConfig names).
    private struct ConfigFile: Decodable {
        let model_type: String?
        let d_model: Int
        let encoder_layers: Int
        let encoder_attention_heads: Int
        let encoder_ffn_dim: Int?
        let decoder_layers: Int
        let decoder_attention_heads: Int
        let decoder_ffn_dim: Int?
        let num_mel_bins: Int
        let max_source_positions: Int
        let max_target_positions: Int
        let vocab_size: Int
        let activation_function: String?
        let scale_embedding: Bool?
        let suppress_tokens: [Int]?
        let begin_suppress_tokens: [Int]?
    }

    private struct GenerationConfigFile: Decodable {
        let alignment_heads: [[Int]]?
        let lang_to_id: [String: Int]?
        let suppress_tokens: [Int]?
        let begin_suppress_tokens: [Int]?
    }

    static func config(folder: URL) throws -> WhisperConfig {
        let url = folder.appendingPathComponent("config.json")
        let file: ConfigFile
        do {
            file = try JSONDecoder().decode(ConfigFile.self, from: Data(contentsOf: url))
        } catch {
            throw WhisperError.invalidConfig(file: url.path, reason: "cannot read the Whisper fields: \(error)")
        }
        if let type = file.model_type, type != "whisper" {
            throw WhisperError.unsupported(file: url.path, feature: "model_type '\(type)' (expected 'whisper')")
        }
        if let activation = file.activation_function, activation != "gelu" {
            throw WhisperError.unsupported(file: url.path, feature: "activation_function '\(activation)' (expected 'gelu')")
        }
        if file.scale_embedding == true {
            throw WhisperError.unsupported(file: url.path, feature: "scale_embedding true")
        }
        var config = WhisperConfig(
            melBins: file.num_mel_bins, audioContext: file.max_source_positions, width: file.d_model,
            encoderHeads: file.encoder_attention_heads, encoderLayers: file.encoder_layers,
            encoderFFN: file.encoder_ffn_dim ?? 4 * file.d_model, vocabularySize: file.vocab_size,
            textContext: file.max_target_positions, decoderHeads: file.decoder_attention_heads,
            decoderLayers: file.decoder_layers, decoderFFN: file.decoder_ffn_dim ?? 4 * file.d_model,
            suppressTokenIDs: file.suppress_tokens ?? [], suppressAtBeginTokenIDs: file.begin_suppress_tokens ?? [])
        let generationURL = folder.appendingPathComponent("generation_config.json")
        if FileManager.default.fileExists(atPath: generationURL.path) {
            let generation: GenerationConfigFile
            do {
                generation = try JSONDecoder().decode(GenerationConfigFile.self, from: Data(contentsOf: generationURL))
            } catch {
                throw WhisperError.invalidConfig(file: generationURL.path, reason: "cannot read it as JSON: \(error)")
            }
            config.alignmentHeads = generation.alignment_heads ?? []
            config.languageTokenIDs = (generation.lang_to_id ?? [:]).values.sorted()
            if let ids = generation.suppress_tokens { config.suppressTokenIDs = ids }
            if let ids = generation.begin_suppress_tokens { config.suppressAtBeginTokenIDs = ids }
        }
        try config.validate(file: url.path)
        return config
    }

    static func weights(_ source: any WeightSource, config c: WhisperConfig) throws -> WhisperWeights {
        let top = WeightScope(source)
        let root = source.contains("model.encoder.conv1.weight") ? top.scope("model") : top
        let d = c.width
        func linear(_ s: WeightScope, _ name: String, out: Int, in inputs: Int) throws -> WhisperLinear {
            WhisperLinear(weight: try s.tensor(name + ".weight", shape: [out, inputs]),
                          bias: try s.tensor(name + ".bias", shape: [out]))
        }
        func norm(_ s: WeightScope, _ name: String) throws -> WhisperLayerNorm {
            WhisperLayerNorm(gamma: try s.tensor(name + ".weight", shape: [d]), beta: try s.tensor(name + ".bias", shape: [d]))
        }
        /// k_proj has no bias: its slice of the fused bias is zero, as in CTranslate2's conversion.
        func keyWeight(_ s: WeightScope, _ name: String) throws -> Tensor {
            try s.tensor(name + ".k_proj.weight", shape: [d, d])
        }
        let zeroBias = Tensor(zeros: [d])
        func selfAttention(_ s: WeightScope) throws -> WhisperSelfAttentionWeights {
            let q = try linear(s, "self_attn.q_proj", out: d, in: d)
            let k = try keyWeight(s, "self_attn")
            let v = try linear(s, "self_attn.v_proj", out: d, in: d)
            return WhisperSelfAttentionWeights(
                norm: try norm(s, "self_attn_layer_norm"),
                qkv: WhisperLinear(weight: concatenateRows([q.weight, k, v.weight]), bias: concatenateRows([q.bias, zeroBias, v.bias])),
                out: try linear(s, "self_attn.out_proj", out: d, in: d))
        }
        func mlp(_ s: WeightScope, hidden: Int) throws -> WhisperMLPWeights {
            WhisperMLPWeights(
                norm: try norm(s, "final_layer_norm"),
                fc1: try linear(s, "fc1", out: hidden, in: d),
                fc2: try linear(s, "fc2", out: d, in: hidden))
        }
        let encoder = root.scope("encoder"), decoder = root.scope("decoder")
        let encoderLayers = try (0..<c.encoderLayers).map { i in
            let s = encoder.scope("layers", i)
            return WhisperEncoderLayerWeights(selfAttention: try selfAttention(s), mlp: try mlp(s, hidden: c.encoderFFN))
        }
        let decoderLayers = try (0..<c.decoderLayers).map { i in
            let s = decoder.scope("layers", i)
            let k = try keyWeight(s, "encoder_attn")
            let v = try linear(s, "encoder_attn.v_proj", out: d, in: d)
            let cross = WhisperCrossAttentionWeights(
                norm: try norm(s, "encoder_attn_layer_norm"),
                query: try linear(s, "encoder_attn.q_proj", out: d, in: d),
                keyValue: WhisperLinear(weight: concatenateRows([k, v.weight]), bias: concatenateRows([zeroBias, v.bias])),
                out: try linear(s, "encoder_attn.out_proj", out: d, in: d))
            return WhisperDecoderLayerWeights(selfAttention: try selfAttention(s), crossAttention: cross, mlp: try mlp(s, hidden: c.decoderFFN))
        }
        let embedding = try decoder.tensor("embed_tokens.weight", shape: [c.vocabularySize, d])
        let projection = top.contains("proj_out.weight")
            ? try top.tensor("proj_out.weight", shape: [c.vocabularySize, d]) : embedding
        let weights = WhisperWeights(
            conv1: WhisperLinear(weight: try encoder.tensor("conv1.weight", shape: [d, c.melBins, 3]),
                                 bias: try encoder.tensor("conv1.bias", shape: [d])),
            conv2: WhisperLinear(weight: try encoder.tensor("conv2.weight", shape: [d, d, 3]),
                                 bias: try encoder.tensor("conv2.bias", shape: [d])),
            encoderPositions: try encoder.tensor("embed_positions.weight", shape: [c.audioContext, d]),
            encoderLayers: encoderLayers,
            encoderNorm: try norm(encoder, "layer_norm"),
            tokenEmbedding: .float32(embedding),
            decoderPositions: try decoder.tensor("embed_positions.weight", shape: [c.textContext, d]),
            decoderLayers: decoderLayers,
            decoderNorm: try norm(decoder, "layer_norm"),
            outputProjection: .float32(projection))
        try top.verifyAllUsed()
        return weights
    }
}
