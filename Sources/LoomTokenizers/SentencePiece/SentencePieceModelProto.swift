import LoomWeights

/// The parts of sentencepiece's ModelProto that encoding and decoding read. Not read: denormalizer_spec
/// (decode-side rules no T5 / SigLIP / Llama model carries) and self_test_data.
/// Reference: https://github.com/google/sentencepiece/blob/v0.2.1/src/sentencepiece_model.proto
/// (field numbers and proto2 defaults as there).
struct SentencePieceModelProto: Sendable {
    enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    struct Piece: Sendable {
        var piece: String
        var score: Float
        var type: PieceType
    }

    enum ModelType: Int, Sendable {
        case unigram = 1, bpe = 2, word = 3, character = 4
    }

    struct NormalizerSpec: Sendable {
        var name = ""
        var precompiledCharsmap: [UInt8] = []
        var addDummyPrefix = true
        var removeExtraWhitespaces = true
        var escapeWhitespaces = true
    }

    var pieces: [Piece] = []
    var modelType: ModelType = .unigram
    var byteFallback = false
    var treatWhitespaceAsSuffix = false
    var unknownSurface = " \u{2047} "
    var normalizer = NormalizerSpec()
    /// Whether the file had these messages: every model sentencepiece writes has both, so a file without
    /// them was cut short between fields (or is something else that happens to parse).
    var hasTrainerSpec = false
    var hasNormalizerSpec = false

    typealias Failure = ProtobufReader.Failure

    /// Parses a serialized ModelProto. Unknown fields are skipped, as protobuf does.
    init(bytes: ArraySlice<UInt8>) throws(Failure) {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: pieces.append(try Self.piece(try Self.message(value, "pieces"), index: pieces.count))
            case 2:
                try readTrainerSpec(try Self.message(value, "trainer_spec"))
                hasTrainerSpec = true
            case 3:
                normalizer = try Self.normalizerSpec(try Self.message(value, "normalizer_spec"))
                hasNormalizerSpec = true
            default: continue
            }
        }
    }

    private static func message(_ value: ProtobufReader.Value, _ name: String) throws(Failure) -> ArraySlice<UInt8> {
        guard let data = value.data else { throw .malformed("field \(name) is not a message") }
        return data
    }

    private static func piece(_ bytes: ArraySlice<UInt8>, index: Int) throws(Failure) -> Piece {
        var reader = ProtobufReader(bytes)
        var result = Piece(piece: "", score: 0, type: .normal)
        var hasPiece = false
        while let (field, value) = try reader.next() {
            switch field {
            case 1:
                guard let text = value.string else { throw .malformed("piece \(index) has a non-string text") }
                result.piece = text
                hasPiece = true
            case 2:
                guard let score = value.float else { throw .malformed("piece \(index) has a score that is not a float") }
                result.score = score
            case 3:
                guard let raw = value.integer, let type = PieceType(rawValue: raw) else {
                    throw .malformed("piece \(index) has an unknown type")
                }
                result.type = type
            default: continue
            }
        }
        guard hasPiece else { throw .malformed("piece \(index) has no text") }
        return result
    }

    private mutating func readTrainerSpec(_ bytes: ArraySlice<UInt8>) throws(Failure) {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            switch field {
            case 3:
                guard let raw = value.integer, let type = ModelType(rawValue: raw) else {
                    throw .malformed("trainer_spec.model_type has an unknown value")
                }
                modelType = type
            case 24: treatWhitespaceAsSuffix = value.bool ?? false
            case 35: byteFallback = value.bool ?? false
            case 44: if let text = value.string { unknownSurface = text }
            default: continue
            }
        }
    }

    private static func normalizerSpec(_ bytes: ArraySlice<UInt8>) throws(Failure) -> NormalizerSpec {
        var reader = ProtobufReader(bytes)
        var spec = NormalizerSpec()
        while let (field, value) = try reader.next() {
            switch field {
            case 1: spec.name = value.string ?? ""
            case 2:
                guard let data = value.data else { throw .malformed("normalizer_spec.precompiled_charsmap is not bytes") }
                spec.precompiledCharsmap = Array(data)
            case 3: spec.addDummyPrefix = value.bool ?? true
            case 4: spec.removeExtraWhitespaces = value.bool ?? true
            case 5: spec.escapeWhitespaces = value.bool ?? true
            default: continue
            }
        }
        return spec
    }
}
