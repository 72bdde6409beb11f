import FuzzSupport
import Foundation
import LoomTokenizers

/// A SentencePiece `spiece.model` (SigLIP's text tokenizer): the protobuf model (pieces, normalizer
/// spec and its precompiled character map), then unigram or BPE encoding and decoding of the sample
/// texts, plain and through SiglipTextTokenizer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSentencePiece(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let name = "fuzz-input.model"
    let model: SentencePieceTokenizer
    do { model = try SentencePieceTokenizer(data: Fuzz.data(bytes, count), file: name) } catch {
        Fuzz.expectNamed(error, name)
        return 0
    }
    let siglip = SiglipTextTokenizer(sentencePiece: model)
    for text in Fuzz.sampleTexts {
        let ids = model.encode(text)
        precondition(ids.allSatisfy { $0 >= 0 && $0 < model.vocabularySize }, "an id outside the vocabulary")
        do { _ = try model.decode(ids) } catch { Fuzz.expectNamed(error, name) }
        _ = siglip.encode(text, maxLength: 64)
    }
    return 0
}
