import FuzzSupport
import Foundation
import LoomModels
import LoomWeights

/// An ONNX model as Silero VAD's weights are read: the protobuf wire format (ProtobufReader), the
/// graph's initializers (ONNXInitializers) and the VAD's check of the tensors it needs; and as
/// PP-OCR's graphs are loaded: nodes, attributes and Constant values (ONNXGraph), then the
/// executor's operator check, attribute reading, BatchNormalization folding and fusion
/// (ONNXProgram). Running a fuzzed graph is left out: its shapes may ask for any amount of memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let name = "fuzz-input.onnx"
    do {
        let weights = try ONNXInitializers(bytes: [UInt8](Fuzz.data(bytes, count)), path: name)
        for tensor in weights.tensorNames {
            do { _ = try weights.tensor(tensor) } catch { Fuzz.expectNamed(error, name) }
        }
        do { _ = try SileroVAD(weights: weights) } catch { Fuzz.expectNamed(error, name) }
    } catch {
        Fuzz.expectNamed(error, name)
    }
    do {
        _ = try ONNXProgram(graph: try ONNXGraph(bytes: [UInt8](Fuzz.data(bytes, count)), path: name))
    } catch {
        Fuzz.expectNamed(error, name)
    }
    return 0
}
