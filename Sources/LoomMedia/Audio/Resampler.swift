import CLoomAudio
import Foundation

/// Streaming mono float32 resampler on libsoxr at its "high quality" setting (SOXR_HQ: 20-bit
/// precision, the quality ffmpeg's `-af aresample=resampler=soxr` and librosa's "soxr_hq" default use).
/// https://sourceforge.net/p/soxr/code/ci/master/tree/src/soxr.h
final class Resampler {
    private let soxr: OpaquePointer
    private let ratio: Double
    private var output: [Float]

    init(from inputRate: Int, to outputRate: Int, maxInputFrames: Int) throws(ResamplerError) {
        var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var qualitySpec = soxr_quality_spec(UInt(SOXR_HQ), 0)
        var error: soxr_error_t? = nil
        guard let created = soxr_create(Double(inputRate), Double(outputRate), 1, &error, &ioSpec, &qualitySpec, nil),
              error == nil
        else { throw ResamplerError(message: error.map { String(cString: $0) } ?? "soxr_create failed") }
        soxr = created
        ratio = Double(outputRate) / Double(inputRate)
        // Room for one block's worth of output plus the filter's tail; process() loops if it is short.
        output = [Float](repeating: 0, count: Int((Double(maxInputFrames) * ratio).rounded(.up)) + 1024)
    }

    deinit { soxr_delete(soxr) }

    /// Feeds `input` and hands every output sample ready so far to `emit`.
    func process(_ input: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        var consumed = 0
        repeat {
            var inputDone = 0
            var outputDone = 0
            let remaining = input.count - consumed
            try output.withUnsafeMutableBufferPointer { out in
                let error = soxr_process(
                    soxr, input.baseAddress.map { $0 + consumed }, remaining, &inputDone,
                    out.baseAddress, out.count, &outputDone)
                if let error { throw ResamplerError(message: String(cString: error)) }
                try emit(UnsafeBufferPointer(rebasing: out[0..<outputDone]))
            }
            consumed += inputDone
            // soxr takes less than offered only when the output buffer filled; loop until all is in.
            if inputDone == 0 && outputDone == 0 { break }
        } while consumed < input.count
    }

    /// Ends the stream: soxr returns the samples still held in its filter.
    func flush(emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        while true {
            var outputDone = 0
            try output.withUnsafeMutableBufferPointer { out in
                let error = soxr_process(soxr, nil, 0, nil, out.baseAddress, out.count, &outputDone)
                if let error { throw ResamplerError(message: String(cString: error)) }
                try emit(UnsafeBufferPointer(rebasing: out[0..<outputDone]))
            }
            if outputDone == 0 { return }
        }
    }
}

struct ResamplerError: Error {
    let message: String
}
