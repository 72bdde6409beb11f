import Foundation
import LoomTensor
import LoomWeights

// A faster-whisper / CTranslate2 Whisper folder: model.bin (WhisperSpec, as written by
// ctranslate2/converters/transformers.py WhisperLoader into ctranslate2/specs/whisper_spec.py) and
// config.json (alignment_heads, lang_ids, suppress_ids, suppress_ids_begin). Dimensions come from the
// weights: CTranslate2 keeps no dimensions in config.json, only `encoder/num_heads` and
// `decoder/num_heads` scalars. The tensor names are in WhisperWeightNames.swift.

enum WhisperCTranslate2 {
    typealias Names = WhisperWeightNames.CTranslate2

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
        func name(_ parts: String...) -> String { parts.joined(separator: Names.separator) }
        func layerCount(_ part: String) -> Int {
            var n = 0
            while model.contains(name(part, Names.layer(n), Names.selfAttention.queryKeyValue) + Names.weight) { n += 1 }
            return n
        }
        let conv1Name = name(Names.encoder, Names.conv1) + Names.weight, embeddingName = name(Names.decoder, Names.tokenEmbedding)
        let conv1 = try shape(conv1Name)  // (width, n_mels, 3)
        let embeddings = try shape(embeddingName)  // (vocab, width)
        guard conv1.count == 3, embeddings.count == 2 else {
            throw WhisperError.invalidConfig(file: file, reason: "\(conv1Name) \(conv1) or \(embeddingName) \(embeddings) has the wrong rank")
        }
        let encoderPositions = try shape(name(Names.encoder, Names.positions))
        let decoderPositions = try shape(name(Names.decoder, Names.positions))
        let encoderFFN = try shape(name(Names.encoder, Names.layer(0), Names.fc1) + Names.weight)
        let decoderFFN = try shape(name(Names.decoder, Names.layer(0), Names.fc1) + Names.weight)

        var config = WhisperConfig(
            melBins: conv1[1], audioContext: encoderPositions.first ?? 0, width: conv1[0],
            encoderHeads: try scalar(name(Names.encoder, Names.headCount)), encoderLayers: layerCount(Names.encoder),
            encoderFFN: encoderFFN.first ?? 0, vocabularySize: embeddings[0],
            textContext: decoderPositions.first ?? 0, decoderHeads: try scalar(name(Names.decoder, Names.headCount)),
            decoderLayers: layerCount(Names.decoder), decoderFFN: decoderFFN.first ?? 0)
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
        let root = WeightScope(model, separator: Names.separator)
        let d = c.width
        func linear(_ s: WeightScope, _ name: String, out: Int, in inputs: Int) throws -> WhisperLinear {
            WhisperLinear(weight: try s.tensor(name + Names.weight, shape: [out, inputs]),
                          bias: try s.tensor(name + Names.bias, shape: [out]))
        }
        /// Decoder weights stay half when stored half: every beam step streams them (WhisperMatrix.swift).
        func decoderLinear(_ s: WeightScope, _ name: String, out: Int, in inputs: Int) throws -> WhisperLinear {
            WhisperLinear(matrix: try matrix(s, name + Names.weight, rows: out, columns: inputs),
                          bias: try s.tensor(name + Names.bias, shape: [out]))
        }
        func norm(_ s: WeightScope, _ name: String) throws -> WhisperLayerNorm {
            WhisperLayerNorm(gamma: try s.tensor(name + Names.normScale, shape: [d]), beta: try s.tensor(name + Names.normShift, shape: [d]))
        }
        func selfAttention(_ s: WeightScope, decoder: Bool) throws -> WhisperSelfAttentionWeights {
            let make = decoder ? decoderLinear : linear
            return WhisperSelfAttentionWeights(
                norm: try norm(s, Names.selfAttentionNorm),
                qkv: try make(s, Names.selfAttention.queryKeyValue, 3 * d, d),
                out: try make(s, Names.selfAttention.output, d, d))
        }
        func mlp(_ s: WeightScope, hidden: Int, decoder: Bool) throws -> WhisperMLPWeights {
            let make = decoder ? decoderLinear : linear
            return WhisperMLPWeights(
                norm: try norm(s, Names.mlpNorm),
                fc1: try make(s, Names.fc1, hidden, d),
                fc2: try make(s, Names.fc2, d, hidden))
        }
        let encoder = root.scope(Names.encoder), decoder = root.scope(Names.decoder)
        let encoderLayers = try WeightScope.layers(c.encoderLayers) { i in
            let s = encoder.scope(Names.layer(i))
            return WhisperEncoderLayerWeights(
                selfAttention: try selfAttention(s, decoder: false), mlp: try mlp(s, hidden: c.encoderFFN, decoder: false))
        }
        let decoderLayers = try WeightScope.layers(c.decoderLayers) { i in
            let s = decoder.scope(Names.layer(i))
            let names = Names.crossAttention
            let cross = WhisperCrossAttentionWeights(
                norm: try norm(s, Names.crossAttentionNorm),
                query: try decoderLinear(s, names.query, out: d, in: d),
                keyValue: try decoderLinear(s, names.keyValue, out: 2 * d, in: d),
                out: try decoderLinear(s, names.output, out: d, in: d))
            return WhisperDecoderLayerWeights(
                selfAttention: try selfAttention(s, decoder: true), crossAttention: cross,
                mlp: try mlp(s, hidden: c.decoderFFN, decoder: true))
        }
        let embedding = try matrix(decoder, Names.tokenEmbedding, rows: c.vocabularySize, columns: d)
        // The projection is an alias of the embedding in converted OpenAI models; reading it through the
        // scope marks its target as used and shares nothing we would copy.
        let projection = model.resolvedName(decoder.fullName(Names.outputProjection)) == decoder.fullName(Names.tokenEmbedding)
            ? embedding : try matrix(decoder, Names.outputProjection, rows: c.vocabularySize, columns: d)
        let weights = WhisperWeights(
            conv1: try WhisperLinear(convolution: encoder, Names.conv1, weight: Names.weight, bias: Names.bias, width: d, inputs: c.melBins),
            conv2: try WhisperLinear(convolution: encoder, Names.conv2, weight: Names.weight, bias: Names.bias, width: d, inputs: d),
            encoderPositions: try encoder.tensor(Names.positions, shape: [c.audioContext, d]),
            encoderLayers: encoderLayers,
            encoderNorm: try norm(encoder, Names.finalNorm),
            tokenEmbedding: embedding,
            decoderPositions: try decoder.tensor(Names.positions, shape: [c.textContext, d]),
            decoderLayers: decoderLayers,
            decoderNorm: try norm(decoder, Names.finalNorm),
            outputProjection: projection)
        // Architecture scalars were checked by `config`; they hold no weights.
        let scalars = Set(requiredScalars.map(\.name) + ignoredScalars
                          + [encoder.fullName(Names.headCount), decoder.fullName(Names.headCount)])
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
