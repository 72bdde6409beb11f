import FuzzSupport
import Foundation
import LoomMedia

/// Audio bytes from memory through `AudioDecoder.decodeWithReport(data:name:)` (libsndfile's virtual
/// I/O): the decode loop every command uses (header checks, downmix, libsoxr resampling to Whisper's
/// 16 kHz, truncation warnings). The decoder promises finite samples (NaN and infinities become 0).
let decoder = AudioDecoder()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAudio(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    do {
        let decoded = try decoder.decodeWithReport(data: Fuzz.data(bytes, count), name: "fuzz-input.wav")
        precondition(decoded.audio.sampleRate == 16_000)
        precondition(decoded.audio.samples.allSatisfy(\.isFinite), "the decode holds NaN or infinite samples")
    } catch {
        Fuzz.expectNamed(error, "fuzz-input.wav")
    }
    return 0
}
