import LoomCheck
import CLoomMath
import Foundation

/// A batched real-to-complex FFTW plan (`fftwf_plan_many_dft_r2c`) for `batch` transforms of size `size`,
/// made once and shared.
///
/// FFTW's planner is not thread-safe, so plans are created and destroyed under one process-wide lock;
/// executing a plan with the new-array call `fftwf_execute_dft_r2c` is thread-safe (FFTW manual,
/// "Thread safety"), so any number of threads run the same plan on their own buffers. Those buffers
/// must be allocated with `RealFFTPlan.Buffers` (fftwf_malloc) so their alignment matches the plan's.
///
/// Layout: input `batch` frames of `size` floats back to back; output `batch` rows of
/// `outputStride` complex values (interleaved re, im), the first `size / 2 + 1` of each row used.
public final class RealFFTPlan: @unchecked Sendable {
    // @unchecked: `plan` is written once in init and only passed to FFTW's thread-safe execute call.
    private let plan: OpaquePointer
    public let size: Int
    public let batch: Int
    public let outputStride: Int
    public var bins: Int { size / 2 + 1 }

    /// Serialises FFTW planner calls across the process.
    private static let plannerLock = NSLock()

    public init(size: Int, batch: Int) {
        require(size > 0 && batch > 0, "FFT size and batch must be positive")
        self.size = size
        self.batch = batch
        // Pad each output row to a multiple of 4 complex values (32 bytes) so every row stays SIMD-aligned.
        let outputStride = (size / 2 + 1 + 3) / 4 * 4
        self.outputStride = outputStride
        let scratch = Buffers(size: size, batch: batch, outputStride: outputStride)
        var n = Int32(size)
        let made = RealFFTPlan.plannerLock.withLock {
            // FFTW_ESTIMATE picks the algorithm without timing runs, so every process gets the same plan
            // and bit-identical output.
            fftwf_plan_many_dft_r2c(
                1, &n, Int32(batch),
                scratch.input, nil, 1, Int32(size),
                RealFFTPlan.complex(scratch.output), nil, 1, Int32(outputStride),
                UInt32(FFTW_ESTIMATE))
        }
        guard let made else { fatalError("FFTW could not plan a real FFT of size \(size) x \(batch)") }
        plan = made
    }

    /// FFTW's `fftwf_complex *` (two floats per element; Swift imports it opaque) over interleaved floats.
    private static func complex(_ floats: UnsafeMutablePointer<Float>) -> OpaquePointer {
        OpaquePointer(floats)
    }

    deinit {
        Self.plannerLock.withLock { fftwf_destroy_plan(plan) }
    }

    /// Transforms `batch` frames of `buffers.input` into `buffers.output`.
    public func execute(_ buffers: Buffers) {
        require(buffers.size == size && buffers.batch == batch && buffers.outputStride == outputStride, "FFT buffers made for another plan")
        fftwf_execute_dft_r2c(plan, buffers.input, Self.complex(buffers.output))
    }

    /// One thread's SIMD-aligned input and output arrays for a plan.
    public final class Buffers {
        public let size: Int
        public let batch: Int
        public let outputStride: Int
        public let input: UnsafeMutablePointer<Float>
        /// Interleaved (re, im) floats: row b starts at `b * outputStride * 2`.
        public let output: UnsafeMutablePointer<Float>

        init(size: Int, batch: Int, outputStride: Int) {
            self.size = size
            self.batch = batch
            self.outputStride = outputStride
            input = fftwf_alloc_real(size * batch)!
            output = fftwf_alloc_real(2 * outputStride * batch)!
            input.initialize(repeating: 0, count: size * batch)
            // FFTW never writes the padding at the end of each output row; zero keeps it harmless to read.
            output.initialize(repeating: 0, count: 2 * outputStride * batch)
        }

        public convenience init(for plan: RealFFTPlan) {
            self.init(size: plan.size, batch: plan.batch, outputStride: plan.outputStride)
        }

        deinit {
            fftwf_free(input)
            fftwf_free(output)
        }
    }
}
