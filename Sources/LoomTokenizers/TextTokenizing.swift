/// What every tokenizer in this module does the same way: text -> ids with the model's own special
/// tokens and post-processing (as its reference tokenizer's default call does), the size of the id
/// space, and the special ids the model names. Callers that need no more than that take
/// `any TextTokenizing`; truncation, padding and batches stay on the concrete types, which differ there.
public protocol TextTokenizing: Sendable {
    /// The ids of `text`, special tokens included.
    func encode(_ text: String) throws -> [Int]
    /// Number of ids, special and added tokens included.
    var vocabularySize: Int { get }
    /// The beginning / end of sequence and padding ids, nil where the model names none.
    var bosTokenID: Int? { get }
    var eosTokenID: Int? { get }
    var padTokenID: Int? { get }
}

/// A tokenizer that also turns ids back into text.
public protocol TextDecoding: TextTokenizing {
    /// The text of `ids` as the reference tokenizer's default decode gives it; throws for ids outside the vocabulary.
    func decode(_ ids: [Int]) throws -> String
}

/// Byte-level BPE: the post-processor's tokens added, decoded with special tokens kept.
extension Tokenizer: TextDecoding {
    public func encode(_ text: String) -> [Int] { encode(text, addSpecialTokens: true) }
    public func decode(_ ids: [Int]) throws -> String { try decode(ids, skipSpecialTokens: false) }
}

/// CLIP's BPE: start and end markers, no truncation. It has no decoder (CLIP only embeds text).
extension CLIPTextTokenizer: TextTokenizing {
    public func encode(_ text: String) -> [Int] { encode(text, maxLength: nil) }
    public var bosTokenID: Int? { startID }
    public var eosTokenID: Int? { endID }
    /// tokenizer.json has no padding; CLIP's text model reads up to the end marker.
    public var padTokenID: Int? { nil }
}

/// WordPiece: the template's special tokens ([CLS] ... [SEP]), truncated to the tokenizer's own
/// `maxLength`. BERT's markers are not beginning / end of sequence tokens, and it has no decoder.
extension WordPieceTokenizer: TextTokenizing {
    public func encode(_ text: String) -> [Int] { encode(text, maxLength: nil).ids }
    public var vocabularySize: Int { max(vocabulary.ids.values.max() ?? -1, addedTokens.map(\.id).max() ?? -1) + 1 }
    public var bosTokenID: Int? { nil }
    public var eosTokenID: Int? { nil }
    public var padTokenID: Int? { padID }
}

/// SentencePiece adds no special tokens; the model file's bos / eos / pad ids are in trainer_spec,
/// which Loom does not read (SiglipTextTokenizer names its own).
extension SentencePieceTokenizer: TextDecoding {
    public var bosTokenID: Int? { nil }
    public var eosTokenID: Int? { nil }
    public var padTokenID: Int? { nil }
}

/// SigLIP: "</s>" appended, no padding (SiglipTokenizer's `tokenizer(text)`); decoding drops "</s>".
extension SiglipTextTokenizer: TextDecoding {
    public func encode(_ text: String) -> [Int] {
        let ids = tokenIDs(text)
        return ids.last == eosID ? ids : ids + [eosID]
    }
    public func decode(_ ids: [Int]) throws -> String { try sentencePiece.decode(ids) }
    public var vocabularySize: Int { sentencePiece.vocabularySize }
    public var bosTokenID: Int? { nil }
    public var eosTokenID: Int? { eosID }
    public var padTokenID: Int? { padID }
}
