import FuzzSupport
import Foundation
import LoomWeights

/// A `.safetensors` file as every Hugging Face model folder is read: the JSON header (SafeTensorsFile,
/// memory-mapped) and every tensor converted to float32.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = Fuzz.file(Fuzz.data(bytes, count), name: "fuzz-input.safetensors")
    do {
        let file = try SafeTensorsFile(url: url)
        for name in file.tensorNames {
            do {
                let tensor = try file.tensor(name)
                precondition(tensor.shape == file.info(name)!.shape)
            } catch {
                Fuzz.expectNamed(error, url.path)
            }
        }
    } catch {
        Fuzz.expectNamed(error, url.path)
    }
    return 0
}
