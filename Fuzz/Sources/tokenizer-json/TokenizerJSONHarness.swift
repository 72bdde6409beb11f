import FuzzSupport
import Foundation
import LoomTasks
import LoomTokenizers

/// A `tokenizer.json` through each loader a model folder uses: WordPiece (MiniLM/BERT embeddings),
/// CLIP's BPE (CLIP text towers), and byte-level BPE (Whisper, SmolLM2, SmolVLM); each tokenizer that
/// loads is run on the sample texts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = Fuzz.file(Fuzz.data(bytes, count), name: "tokenizer.json")
    do {
        let wordPiece = try WordPieceTokenizer(contentsOf: url)
        _ = wordPiece.encodeBatch(Fuzz.sampleTexts, maxLength: 64)
        for text in Fuzz.sampleTexts { _ = wordPiece.encode(text) }
    } catch {
        Fuzz.expectNamed(error, url.path)
    }
    do {
        if let clip = try CLIPTextTokenizer.load(tokenizerJSON: url) {
            for text in Fuzz.sampleTexts { _ = clip.encode(text, maxLength: 77) }
        }
    } catch {
        Fuzz.expectNamed(error, url.path)
    }
    do { Fuzz.exercise(try Tokenizer.load(tokenizerJSON: url)) } catch { Fuzz.expectNamed(error, url.path) }
    return 0
}
