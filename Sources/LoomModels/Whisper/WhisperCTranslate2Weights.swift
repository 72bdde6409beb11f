import Foundation
import LoomTensor
import LoomWeights

// A faster-whisper / CTranslate2 Whisper folder: model.bin (WhisperSpec, as written by
// ctranslate2/converters/transformers.py WhisperLoader into ctranslate2/specs/whisper_spec.py) and
// config.json (alignment_heads, lang_ids, suppress_ids, suppress_ids_begin). Dimensions come from the
// weights: CTranslate2 keeps no dimensions in config.json, only `encoder/num_heads` and
// `decoder/num_heads` scalars. The tensor names below are the only place they are written.

enum WhisperCTranslate2 {
    /// Scalars of the TransformerSpec that describe the architecture; Whisper needs exactly these values.
    /// Activation ids follow ctranslate2/specs/common_spec.py `Activation` (3 = GELU, the erf form).
    static let requiredScalars: [(name: String, value: Float, meaning: String)] = [
        ("decoder/activation", 3, "decoder activation must be GELU (id 3)"),
        ("decoder/pre_norm", 1, "decoder must be pre-norm"),
        ("decoder/scale_embeddings", 0, "scaled token embeddings"),
        ("decoder/alibi", 0, "ALiBi positions"),
        ("decoder/start_from_zero_embedding", 0, "zero start embedding"),
    ]
    /// Scalars used for word alignment by CTranslate2 itself; config.json's alignment_heads replace them.
    static let ignoredScalars = ["decoder/alignment_heads", "decoder/alignment_layer"]

    /// The config: dimensions from the weights in `model`, token lists from `configFile` when present.
    static func config(_ model: CTranslate2Model, configFile: URL) throws -> WhisperConfig {
        let file = model.path
        func shape(_ name: String) throws -> [Int] { try model.requireInfo(name).shape }
        func scalar(_ name: String) throws -> Int {
            let t = try model.tensor(name)
            guard t.count == 1 else { throw WhisperError.invalidConfig(file: file, reason: "\(name) is not a scalar") }
            return Int(t.data[0])
        }
        func layerCount(_ part: String) -> Int {
            var n = 0
            while model.contains("\(part)/layer_\(n)/self_attention/linear_0/weight") { n += 1 }
            return n
        }
        let conv1 = try shape("encoder/conv1/weight")  // (width, n_mels, 3)
        let embeddings = try shape("decoder/embeddings/weight")  // (vocab, width)
        guard conv1.count == 3, embeddings.count == 2 else {
            throw WhisperError.invalidConfig(file: file, reason: "encoder/conv1/weight \(conv1) or decoder/embeddings/weight \(embeddings) has the wrong rank")
        }
        let encoderPositions = try shape("encoder/position_encodings/encodings")
        let decoderPositions = try shape("decoder/position_encodings/encodings")
        let encoderFFN = try shape("encoder/layer_0/ffn/linear_0/weight")
        let decoderFFN = try shape("decoder/layer_0/ffn/linear_0/weight")

        var config = WhisperConfig(
            melBins: conv1[1], audioContext: encoderPositions.first ?? 0, width: conv1[0],
            encoderHeads: try scalar("encoder/num_heads"), encoderLayers: layerCount("encoder"),
            encoderFFN: encoderFFN.first ?? 0, vocabularySize: embeddings[0],
            textContext: decoderPositions.first ?? 0, decoderHeads: try scalar("decoder/num_heads"),
            decoderLayers: layerCount("decoder"), decoderFFN: decoderFFN.first ?? 0)
        for required in requiredScalars where model.contains(required.name) {
            guard try Float(scalar(required.name)) == required.value else {
                throw WhisperError.unsupported(file: file, feature: required.meaning)
            }
        }
        if FileManager.default.fileExists(atPath: configFile.path) {
            let decoded: TokenLists
            do {
                decoded = try JSONDecoder().decode(TokenLists.self, from: Data(contentsOf: configFile))
            } catch {
                throw WhisperError.invalidConfig(file: configFile.path, reason: "cannot read it as JSON: \(error)")
            }
            config.alignmentHeads = decoded.alignment_heads ?? []
            config.languageTokenIDs = decoded.lang_ids ?? []
            config.suppressTokenIDs = decoded.suppress_ids ?? []
            config.suppressAtBeginTokenIDs = decoded.suppress_ids_begin ?? []
        }
        try config.validate(file: file)
        return config
    }

    /// config.json of a CTranslate2 Whisper folder (faster-whisper writes it at conversion).
    private struct TokenLists: Decodable {
        let alignment_heads: [[Int]]?
        let lang_ids: [Int]?
        let suppress_ids: [Int]?
        let suppress_ids_begin: [Int]?
    }

    /// Every tensor of the WhisperSpec, shape-checked against `config`; fails on missing or unused tensors.
    static func weights(_ model: CTranslate2Model, config c: WhisperConfig) throws -> WhisperWeights {
        let root = WeightScope(model, separator: "/")
        let d = c.width
        func linear(_ s: WeightScope, _ name: String, out: Int, in inputs: Int) throws -> WhisperLinear {
            WhisperLinear(weight: try s.tensor(name + "/weight", shape: [out, inputs]),
                          bias: try s.tensor(name + "/bias", shape: [out]))
        }
        /// Decoder weights stay half when stored half: every beam step streams them (WhisperMatrix.swift).
        func decoderLinear(_ s: WeightScope, _ name: String, out: Int, in inputs: Int) throws -> WhisperLinear {
            WhisperLinear(matrix: try matrix(s, name + "/weight", rows: out, columns: inputs),
                          bias: try s.tensor(name + "/bias", shape: [out]))
        }
        func norm(_ s: WeightScope, _ name: String) throws -> WhisperLayerNorm {
            WhisperLayerNorm(gamma: try s.tensor(name + "/gamma", shape: [d]), beta: try s.tensor(name + "/beta", shape: [d]))
        }
        func selfAttention(_ s: WeightScope, decoder: Bool) throws -> WhisperSelfAttentionWeights {
            let make = decoder ? decoderLinear : linear
            return WhisperSelfAttentionWeights(
                norm: try norm(s, "self_attention/layer_norm"),
                qkv: try make(s, "self_attention/linear_0", 3 * d, d),
                out: try make(s, "self_attention/linear_1", d, d))
        }
        func mlp(_ s: WeightScope, hidden: Int, decoder: Bool) throws -> WhisperMLPWeights {
            let make = decoder ? decoderLinear : linear
            return WhisperMLPWeights(
                norm: try norm(s, "ffn/layer_norm"),
                fc1: try make(s, "ffn/linear_0", hidden, d),
                fc2: try make(s, "ffn/linear_1", d, hidden))
        }
        let encoder = root.scope("encoder"), decoder = root.scope("decoder")
        let encoderLayers = try (0..<c.encoderLayers).map { i in
            let s = encoder.scope("layer_\(i)")
            return WhisperEncoderLayerWeights(
                selfAttention: try selfAttention(s, decoder: false), mlp: try mlp(s, hidden: c.encoderFFN, decoder: false))
        }
        let decoderLayers = try (0..<c.decoderLayers).map { i in
            let s = decoder.scope("layer_\(i)")
            let cross = WhisperCrossAttentionWeights(
                norm: try norm(s, "attention/layer_norm"),
                query: try decoderLinear(s, "attention/linear_0", out: d, in: d),
                keyValue: try decoderLinear(s, "attention/linear_1", out: 2 * d, in: d),
                out: try decoderLinear(s, "attention/linear_2", out: d, in: d))
            return WhisperDecoderLayerWeights(
                selfAttention: try selfAttention(s, decoder: true), crossAttention: cross,
                mlp: try mlp(s, hidden: c.decoderFFN, decoder: true))
        }
        let embedding = try matrix(decoder, "embeddings/weight", rows: c.vocabularySize, columns: d)
        // decoder/projection/weight is an alias of the embedding in converted OpenAI models; reading it
        // through the scope marks its target as used and shares nothing we would copy.
        let projection = model.resolvedName("decoder/projection/weight") == "decoder/embeddings/weight"
            ? embedding : try matrix(decoder, "projection/weight", rows: c.vocabularySize, columns: d)
        let weights = WhisperWeights(
            conv1: WhisperLinear(weight: try encoder.tensor("conv1/weight", shape: [d, c.melBins, 3]),
                                 bias: try encoder.tensor("conv1/bias", shape: [d])),
            conv2: WhisperLinear(weight: try encoder.tensor("conv2/weight", shape: [d, d, 3]),
                                 bias: try encoder.tensor("conv2/bias", shape: [d])),
            encoderPositions: try encoder.tensor("position_encodings/encodings", shape: [c.audioContext, d]),
            encoderLayers: encoderLayers,
            encoderNorm: try norm(encoder, "layer_norm"),
            tokenEmbedding: embedding,
            decoderPositions: try decoder.tensor("position_encodings/encodings", shape: [c.textContext, d]),
            decoderLayers: decoderLayers,
            decoderNorm: try norm(decoder, "layer_norm"),
            outputProjection: projection)
        // Architecture scalars were checked by `config`; they hold no weights.
        let scalars = Set(requiredScalars.map(\.name) + ignoredScalars + ["encoder/num_heads", "decoder/num_heads"])
        try root.verifyAllUsed(ignoring: { scalars.contains($0) })
        return weights
    }

    /// A (rows, columns) weight as stored: its half bits when the file holds float16, else float32
    /// (float32 as stored, int8/int16 dequantized by `CTranslate2Model.tensor`).
    private static func matrix(_ s: WeightScope, _ name: String, rows: Int, columns: Int) throws -> WhisperMatrix {
        guard try s.info(name).dtype == .float16 else { return .float32(try s.tensor(name, shape: [rows, columns])) }
        let raw = try s.rawBytes(name, shape: [rows, columns])
        let count = rows * columns
        guard raw.count == 2 * count else { return .float32(try s.tensor(name, shape: [rows, columns])) }  // reports it
        let bits = try raw.withUnsafeBytes { bytes in
            [UInt16](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
                initialized = count
            }
        }
        return .float16(WhisperHalfRows(rows: rows, columns: columns, bits: bits))
    }
}
