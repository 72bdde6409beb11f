import FuzzSupport
import Foundation
import LoomModels
import LoomTokenizers
import LoomWeights

/// A GGUF file as `loom generate --model FILE.gguf` reads it: the header and metadata (GGUFFile,
/// memory-mapped), every tensor dequantized, the Llama config, the model's weights and the tokenizer
/// the metadata carries (encoded and decoded). The chat template it may carry is the chat-template
/// harness's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = Fuzz.file(Fuzz.data(bytes, count), name: "fuzz-input.gguf")
    let file: GGUFFile
    do { file = try GGUFFile(url: url) } catch {
        Fuzz.expectNamed(error, url.path)
        return 0
    }
    for name in file.tensorNames {
        do { _ = try file.tensor(name) } catch { Fuzz.expectNamed(error, url.path) }
    }
    do { _ = try LlamaConfig(gguf: file) } catch { Fuzz.expectNamed(error, url.path) }
    do { _ = try LlamaModel(url: url) } catch { Fuzz.expectNamed(error, url.path) }
    do { Fuzz.exercise(try Tokenizer.load(gguf: file)) } catch { Fuzz.expectNamed(error, url.path) }
    return 0
}
