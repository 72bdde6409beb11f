import FuzzSupport
import Foundation
import LoomWeights

/// A CTranslate2 `model.bin` (faster-whisper's Whisper weights): the variable table (CTranslate2Model,
/// memory-mapped), aliases, and every variable read as float32, int8/int16 ones dequantized with
/// their `_scale`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCTranslate2(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = Fuzz.file(Fuzz.data(bytes, count), name: "fuzz-input.bin")
    do {
        let model = try CTranslate2Model(url: url)
        for name in model.tensorNames + model.aliases.keys.sorted() {
            do { _ = try model.tensor(name) } catch { Fuzz.expectNamed(error, url.path) }
        }
    } catch {
        Fuzz.expectNamed(error, url.path)
    }
    return 0
}
