import Foundation
import LoomTensor
import LoomWeights

// A Hugging Face Whisper folder: config.json (model_type "whisper") + model.safetensors (or shards),
// optionally generation_config.json (alignment_heads, lang_to_id), as saved by transformers'
// WhisperForConditionalGeneration (transformers/models/whisper/modeling_whisper.py). Tensor names carry
// a "model." prefix there (none when a bare WhisperModel was saved); `proj_out.weight` is tied to the
// token embedding and usually not stored. The tensor names are in WhisperWeightNames.swift.

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

    /// The config from config.json's bytes (`url` names it in errors) and the folder's generation_config.json.
    static func config(json: Data, url: URL, folder: URL) throws -> WhisperConfig {
        let file: ConfigFile
        do {
            file = try JSONDecoder().decode(ConfigFile.self, from: json)
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
        typealias Names = WhisperWeightNames.HuggingFace
        let top = WeightScope(source)
        let root = source.contains(Names.probe) ? top.scope(Names.model) : top
        let d = c.width
        func linear(_ s: WeightScope, _ name: String, out: Int, in inputs: Int) throws -> WhisperLinear {
            WhisperLinear(weight: try s.tensor(name + Names.weight, shape: [out, inputs]),
                          bias: try s.tensor(name + Names.bias, shape: [out]))
        }
        func norm(_ s: WeightScope, _ name: String) throws -> WhisperLayerNorm {
            WhisperLayerNorm(gamma: try s.tensor(name + Names.weight, shape: [d]), beta: try s.tensor(name + Names.bias, shape: [d]))
        }
        /// k_proj has no bias: its slice of the fused bias is zero, as in CTranslate2's conversion.
        func keyWeight(_ s: WeightScope, _ name: String) throws -> Tensor {
            try s.tensor(name + Names.weight, shape: [d, d])
        }
        let zeroBias = Tensor(zeros: [d])
        func selfAttention(_ s: WeightScope) throws -> WhisperSelfAttentionWeights {
            let names = Names.selfAttention
            let q = try linear(s, names.query, out: d, in: d)
            let k = try keyWeight(s, names.key)
            let v = try linear(s, names.value, out: d, in: d)
            return WhisperSelfAttentionWeights(
                norm: try norm(s, Names.selfAttentionNorm),
                qkv: WhisperLinear(weight: concatenateRows([q.weight, k, v.weight]), bias: concatenateRows([q.bias, zeroBias, v.bias])),
                out: try linear(s, names.output, out: d, in: d))
        }
        func mlp(_ s: WeightScope, hidden: Int) throws -> WhisperMLPWeights {
            WhisperMLPWeights(
                norm: try norm(s, Names.mlpNorm),
                fc1: try linear(s, Names.fc1, out: hidden, in: d),
                fc2: try linear(s, Names.fc2, out: d, in: hidden))
        }
        let encoder = root.scope(Names.encoder), decoder = root.scope(Names.decoder)
        let encoderLayers = try WeightScope.layers(c.encoderLayers) { i in
            let s = encoder.scope(Names.layers, i)
            return WhisperEncoderLayerWeights(selfAttention: try selfAttention(s), mlp: try mlp(s, hidden: c.encoderFFN))
        }
        let decoderLayers = try WeightScope.layers(c.decoderLayers) { i in
            let s = decoder.scope(Names.layers, i)
            let names = Names.crossAttention
            let k = try keyWeight(s, names.key)
            let v = try linear(s, names.value, out: d, in: d)
            let cross = WhisperCrossAttentionWeights(
                norm: try norm(s, Names.crossAttentionNorm),
                query: try linear(s, names.query, out: d, in: d),
                keyValue: WhisperLinear(weight: concatenateRows([k, v.weight]), bias: concatenateRows([zeroBias, v.bias])),
                out: try linear(s, names.output, out: d, in: d))
            return WhisperDecoderLayerWeights(selfAttention: try selfAttention(s), crossAttention: cross, mlp: try mlp(s, hidden: c.decoderFFN))
        }
        let embedding = try decoder.tensor(Names.tokenEmbedding, shape: [c.vocabularySize, d])
        let projection = top.contains(Names.outputProjection)
            ? try top.tensor(Names.outputProjection, shape: [c.vocabularySize, d]) : embedding
        let weights = WhisperWeights(
            conv1: try WhisperLinear(convolution: encoder, Names.conv1, weight: Names.weight, bias: Names.bias, width: d, inputs: c.melBins),
            conv2: try WhisperLinear(convolution: encoder, Names.conv2, weight: Names.weight, bias: Names.bias, width: d, inputs: d),
            encoderPositions: try encoder.tensor(Names.positions, shape: [c.audioContext, d]),
            encoderLayers: encoderLayers,
            encoderNorm: try norm(encoder, Names.finalNorm),
            tokenEmbedding: .float32(embedding),
            decoderPositions: try decoder.tensor(Names.positions, shape: [c.textContext, d]),
            decoderLayers: decoderLayers,
            decoderNorm: try norm(decoder, Names.finalNorm),
            outputProjection: .float32(projection))
        try top.verifyAllUsed()
        return weights
    }
}
