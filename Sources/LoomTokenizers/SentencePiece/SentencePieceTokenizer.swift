import Foundation

/// A SentencePiece tokenizer read from its `.model` file (spiece.model of T5 / SigLIP, tokenizer.model of
/// Llama 2 ...): normalizer -> unigram or BPE segmentation -> ids, runs of unknown pieces merged into one
/// unknown id, or spelled as byte pieces (<0xE2>...) when the model has byte_fallback. Decoding reverses it.
/// No special tokens are added: SentencePiece itself adds none unless asked (SiglipTextTokenizer adds "</s>").
///
/// Reference: sentencepiece 0.2.1 src/sentencepiece_processor.cc (Encode, PopulateSentencePieceText, Decode);
/// golden ids in Tests/Fixtures/sentencepiece/reference.json (Scripts/reference/dump_sentencepiece.py).
public final class SentencePieceTokenizer: Sendable {
    public enum Algorithm: Sendable { case unigram, bpe }

    /// The file it was loaded from, for messages.
    public let file: String
    public let algorithm: Algorithm
    /// Every piece's spelling ("▁" for a space), by id.
    public let pieces: [String]
    public let unknownID: Int
    public let byteFallback: Bool
    let types: [SentencePieceModelProto.PieceType]
    let unknownSurface: String
    let normalizer: SentencePieceNormalizer
    let unigram: SentencePieceUnigram?
    let bpe: SentencePieceBPE?
    private let idsByPiece: [String: Int]
    /// The byte piece <0xXX> of each byte, -1 where the model has none.
    private let byteIDs: [Int]
    /// The byte of each id that is a byte piece, -1 otherwise.
    private let byteOfID: [Int16]

    /// Reads a SentencePiece model file.
    public static func load(model url: URL) throws -> SentencePieceTokenizer {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SentencePieceError(.unreadable, file: url.path, "cannot read the file (\(error.localizedDescription))")
        }
        return try SentencePieceTokenizer(data: data, file: url.path)
    }

    /// Parses the bytes of a SentencePiece model file; `file` names it in errors.
    public init(data: Data, file: String) throws {
        self.file = file
        guard !data.isEmpty else { throw SentencePieceError(.truncated, file: file, "the file is empty") }
        let proto: SentencePieceModelProto
        do {
            proto = try SentencePieceModelProto(bytes: ArraySlice(data))
        } catch .truncated(let reason) {
            throw SentencePieceError(.truncated, file: file, "is cut short: \(reason)")
        } catch .malformed(let reason) {
            throw SentencePieceError(.malformed, file: file, "is not a SentencePiece model: \(reason)")
        }
        guard !proto.pieces.isEmpty else { throw SentencePieceError(.malformed, file: file, "is not a SentencePiece model: it has no pieces") }
        guard proto.hasTrainerSpec, proto.hasNormalizerSpec else {
            throw SentencePieceError(.truncated, file: file, "has no \(proto.hasTrainerSpec ? "normalizer_spec" : "trainer_spec"); the file is cut short or not a SentencePiece model")
        }
        let unknowns = proto.pieces.indices.filter { proto.pieces[$0].type == .unknown }
        guard unknowns.count == 1 else {
            throw SentencePieceError(.malformed, file: file, "has \(unknowns.count) unknown pieces; a SentencePiece model has exactly one")
        }
        switch proto.modelType {
        case .unigram: algorithm = .unigram
        case .bpe: algorithm = .bpe
        case .word, .character:
            throw SentencePieceError(.unsupported, file: file, "is a \(proto.modelType == .word ? "word" : "char") model, which Loom does not read")
        }
        pieces = proto.pieces.map(\.piece)
        types = proto.pieces.map(\.type)
        unknownID = unknowns[0]
        byteFallback = proto.byteFallback
        unknownSurface = proto.unknownSurface
        var byPiece: [String: Int] = [:]
        var bytes = [Int](repeating: -1, count: 256)
        var byteOf = [Int16](repeating: -1, count: proto.pieces.count)
        var trieEntries: [(bytes: [UInt8], id: Int)] = []
        var userDefined: [(bytes: [UInt8], id: Int)] = []
        for (id, piece) in proto.pieces.enumerated() {
            if byPiece[piece.piece] == nil { byPiece[piece.piece] = id }
            switch piece.type {
            case .normal, .unused: trieEntries.append((Array(piece.piece.utf8), id))
            case .userDefined:
                trieEntries.append((Array(piece.piece.utf8), id))
                userDefined.append((Array(piece.piece.utf8), id))
            case .byte:
                guard let value = Self.byteValue(piece.piece) else {
                    throw SentencePieceError(.malformed, file: file, "byte piece \(id) is \"\(piece.piece)\", not <0xXX>")
                }
                bytes[Int(value)] = id
                byteOf[id] = Int16(value)
            case .unknown, .control: break
            }
        }
        idsByPiece = byPiece
        byteIDs = bytes
        byteOfID = byteOf
        var charsMap: PrecompiledCharsMap?
        if !proto.normalizer.precompiledCharsmap.isEmpty {
            guard let map = PrecompiledCharsMap(proto.normalizer.precompiledCharsmap) else {
                throw SentencePieceError(.malformed, file: file, "normalizer_spec.precompiled_charsmap is not a charsmap blob")
            }
            charsMap = map
        }
        normalizer = SentencePieceNormalizer(
            charsMap: charsMap, addDummyPrefix: proto.normalizer.addDummyPrefix,
            removeExtraWhitespaces: proto.normalizer.removeExtraWhitespaces,
            escapeWhitespaces: proto.normalizer.escapeWhitespaces,
            treatWhitespaceAsSuffix: proto.treatWhitespaceAsSuffix, userDefined: PieceTrie(userDefined))
        let trie = PieceTrie(trieEntries)
        switch algorithm {
        case .unigram:
            unigram = SentencePieceUnigram(pieces: proto.pieces, trie: trie, unknownID: unknownID)
            bpe = nil
        case .bpe:
            unigram = nil
            bpe = SentencePieceBPE(trie: trie, scores: proto.pieces.map(\.score), types: types, unknownID: unknownID,
                                   userDefined: PieceTrie(userDefined))
        }
    }

    /// 0xXX of a byte piece spelled "<0xXX>".
    private static func byteValue(_ piece: String) -> UInt8? {
        let utf8 = Array(piece.utf8)
        guard utf8.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    public var vocabularySize: Int { pieces.count }

    /// The id of a piece spelled exactly so, else the unknown id (sentencepiece's PieceToId).
    public func id(forPiece piece: String) -> Int { idsByPiece[piece] ?? unknownID }

    /// Whether the model has a piece spelled so.
    public func contains(piece: String) -> Bool { idsByPiece[piece] != nil }

    /// The ids of `text` (sentencepiece's `encode(text)`).
    public func encode(_ text: String) -> [Int] { encodeAsPieces(text).map(\.id) }

    /// The pieces of `text` with their ids (sentencepiece's `encode(text, out_type=str)`): an unknown piece
    /// is spelled as its normalized text, byte pieces as <0xXX>.
    public func encodeAsPieces(_ text: String) -> [(piece: String, id: Int)] {
        let normalized = normalizer.normalize(text)
        return normalized.withUnsafeBufferPointer { buffer -> [(piece: String, id: Int)] in
            let segments = unigram?.encode(buffer) ?? bpe!.encode(buffer)
            var output: [(piece: String, id: Int)] = []
            output.reserveCapacity(segments.count)
            var previousUnknown = false
            for (range, id) in segments {
                let isUnknown = id == unknownID
                if isUnknown && byteFallback {
                    for byte in buffer[range] {
                        output.append((String(format: "<0x%02X>", byte), byteIDs[Int(byte)] >= 0 ? byteIDs[Int(byte)] : unknownID))
                    }
                } else if isUnknown && previousUnknown, let last = output.last {
                    output[output.count - 1] = (last.piece + String(decoding: buffer[range], as: UTF8.self), unknownID)
                } else {
                    output.append((isUnknown ? String(decoding: buffer[range], as: UTF8.self) : pieces[id], id))
                }
                previousUnknown = isUnknown
            }
            return output
        }
    }

    /// The text of `ids` as sentencepiece decodes them: control ids vanish, the unknown id becomes " ⁇ ",
    /// "▁" becomes a space (the first one dropped when the model adds a dummy prefix or removes extra
    /// spaces), runs of byte pieces are read as UTF-8 with U+FFFD for each byte that does not fit.
    public func decode(_ ids: [Int]) throws -> String {
        var text: [UInt8] = []
        var byteRun: [UInt8] = []
        var expectingLeadingSpace = true
        var leadingSpaceSeen = false
        let stripsLeadingSpace = normalizer.addDummyPrefix || normalizer.removeExtraWhitespaces
        for id in ids {
            guard id >= 0, id < pieces.count else {
                throw SentencePieceError(.idOutOfRange, file: file, "token id \(id) is outside the vocabulary (0..<\(pieces.count))")
            }
            if byteOfID[id] >= 0 {
                byteRun.append(UInt8(byteOfID[id]))
                continue
            }
            Self.appendBytes(byteRun, to: &text)
            byteRun.removeAll(keepingCapacity: true)
            if leadingSpaceSeen || !text.isEmpty { expectingLeadingSpace = false }
            leadingSpaceSeen = false
            switch types[id] {
            case .control: continue
            case .unknown:
                text += Array(unknownSurface.utf8)
                continue
            default: break
            }
            var piece = ArraySlice(pieces[id].utf8)
            if expectingLeadingSpace && stripsLeadingSpace && piece.starts(with: SentencePieceNormalizer.spaceSymbol) {
                piece = piece.dropFirst(3)
                leadingSpaceSeen = !normalizer.removeExtraWhitespaces
            }
            var i = piece.startIndex
            while i < piece.endIndex {
                if piece[i] == 0xE2, i + 2 < piece.endIndex, piece[i + 1] == 0x96, piece[i + 2] == 0x81 {
                    text.append(0x20)
                    i += 3
                } else {
                    text.append(piece[i])
                    i += 1
                }
            }
        }
        Self.appendBytes(byteRun, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// A run of byte pieces as text: each valid UTF-8 character as it is, each byte of an invalid one as U+FFFD
    /// (sentencepiece's string_util::DecodeUTF8, one byte consumed per error).
    private static func appendBytes(_ bytes: [UInt8], to text: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let length = validUTF8Length(bytes, at: i)
            if length == 0 {
                text += [0xEF, 0xBF, 0xBD]
                i += 1
            } else {
                text += bytes[i..<i + length]
                i += length
            }
        }
    }

    private static func validUTF8Length(_ b: [UInt8], at i: Int) -> Int {
        func trail(_ k: Int) -> Bool { i + k < b.count && b[i + k] & 0xC0 == 0x80 }
        func valid(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }
        let lead = UInt32(b[i])
        if lead < 0x80 { return 1 }
        if lead & 0xE0 == 0xC0, trail(1) {
            let c = (lead & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F)
            return c >= 0x80 && valid(c) ? 2 : 0
        }
        if lead & 0xF0 == 0xE0, trail(1), trail(2) {
            let c = (lead & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F)
            return c >= 0x800 && valid(c) ? 3 : 0
        }
        if lead & 0xF8 == 0xF0, trail(1), trail(2), trail(3) {
            let c = (lead & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F)
            return c >= 0x10000 && valid(c) ? 4 : 0
        }
        return 0
    }
}
