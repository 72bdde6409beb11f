import Dispatch
import LoomTensor

/// The spectrogram computation: blocks of `blockFrames` frames go through framing + window, one
/// batched FFTW call, the power spectrum (stored bin-major so the mel projection runs along frames),
/// the banded mel projection and log10; a last pass applies whisper's (max - 8) floor and scaling.
extension LogMelSpectrogram {
    func spectrogram(of samples: UnsafeBufferPointer<Float>, paddingSamples: Int) throws -> Tensor {
        let totalSamples = samples.count + paddingSamples
        let frames = Self.frameCount(samples: samples.count, paddingSamples: paddingSamples)
        let melBins = self.melBins
        guard frames > 0 else { return Tensor(shape: [melBins, 0], data: []) }

        let blockCount = (frames + Self.blockFrames - 1) / Self.blockFrames
        // At least 8 blocks (256 frames, 2.5 s) per thread, or threads cost more than they save.
        let workers = max(1, min(threads, blockCount / 8))
        var finite = true
        let values = [Float](unsafeUninitializedCapacity: melBins * frames) { output, initialized in
            let output = SharedPointer(output.baseAddress!)
            let samples = SharedInput(samples)
            let maxima = UnsafeMutablePointer<UInt32>.allocate(capacity: blockCount)
            defer { maxima.deallocate() }
            let blockMaxima = SharedPointer(maxima)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let blocks = (worker * blockCount / workers)..<((worker + 1) * blockCount / workers)
                let scratch = BlockScratch(plan: plan)
                for block in blocks {
                    blockMaxima.base[block] = logMelBlock(
                        block, samples: samples.buffer, totalSamples: totalSamples, frames: frames,
                        scratch: scratch, output: output.base)
                }
            }
            // Inf and NaN have the largest bit patterns (NaN with either sign), so one check on the
            // maximum catches a non-finite value anywhere in the spectrogram.
            let globalMaxBits = UnsafeBufferPointer(start: maxima, count: blockCount).max()!
            finite = globalMaxBits < Float.infinity.bitPattern
            let floor = fastLog10(Float(bitPattern: globalMaxBits)) - 8
            Self.floorAndScale(output, count: melBins * frames, floor: floor, workers: workers)
            initialized = melBins * frames
        }
        guard finite else { throw LogMelError.nonFiniteSamples }
        return Tensor(shape: [melBins, frames], data: values)
    }

    /// One worker's buffers, reused for all its blocks.
    final class BlockScratch {
        let fft: RealFFTPlan.Buffers
        /// (outputStride, blockFrames): power spectrum, bin-major.
        let power: UnsafeMutablePointer<Float>
        /// (blockFrames): one mel row of the block.
        let melRow: UnsafeMutablePointer<Float>

        init(plan: RealFFTPlan) {
            fft = RealFFTPlan.Buffers(for: plan)
            power = .allocate(capacity: plan.outputStride * plan.batch)
            power.initialize(repeating: 0, count: plan.outputStride * plan.batch)
            melRow = .allocate(capacity: plan.batch)
        }

        deinit {
            power.deallocate()
            melRow.deallocate()
        }
    }

    /// Writes log10(max(mel, 1e-10)) of frames [block * blockFrames, ...) into `output` (melBins, frames)
    /// and returns the bit pattern of their largest clamped linear mel value.
    private func logMelBlock(
        _ block: Int, samples: UnsafeBufferPointer<Float>, totalSamples: Int, frames: Int,
        scratch: BlockScratch, output: UnsafeMutablePointer<Float>
    ) -> UInt32 {
        let batch = Self.blockFrames, nFFT = Self.nFFT, bins = plan.bins
        let firstFrame = block * batch
        let count = min(batch, frames - firstFrame)

        // A block wholly inside the appended zeros (whisper's transcribe pads 30 s, most of the frames
        // for a short clip) has zero power: every value is log10(1e-10) with no FFT to run.
        let firstSample = firstFrame * Self.hopLength - nFFT / 2
        let lastSampleEnd = (firstFrame + count - 1) * Self.hopLength + nFFT / 2
        if firstSample >= samples.count && lastSampleEnd <= totalSamples {
            let silent = fastLog10(1e-10)
            for m in 0..<melBins {
                let destination = output + m * frames + firstFrame
                for b in 0..<count { destination[b] = silent }
            }
            return Float(1e-10).bitPattern
        }

        // Windowed frames. Frame t covers padded samples [t * hop - nFFT / 2, + nFFT).
        window.withUnsafeBufferPointer { window in
            for b in 0..<count {
                let start = (firstFrame + b) * Self.hopLength - nFFT / 2
                let frame = scratch.fft.input + b * nFFT
                if start >= 0 && start + nFFT <= samples.count {
                    let source = samples.baseAddress! + start
                    for n in 0..<nFFT { frame[n] = source[n] * window[n] }
                } else {
                    for n in 0..<nFFT {
                        frame[n] = Self.paddedSample(start + n, samples: samples, totalSamples: totalSamples) * window[n]
                    }
                }
            }
        }
        // Frames past `count` in the last block hold earlier data; their spectra are computed and ignored.
        plan.execute(scratch.fft)

        // |X|^2, bin-major: power[k * batch + b], in 4 x 4 tiles (4 frames by 4 bins) transposed in
        // registers. All `batch` frames and the padded `outputStride` bins are covered; the extra ones
        // are never read.
        let spectrum = UnsafeRawPointer(scratch.fft.output), rowBytes = 8 * plan.outputStride
        let power = scratch.power
        for b in stride(from: 0, to: batch, by: 4) {
            for k in stride(from: 0, to: plan.outputStride, by: 4) {
                let offset = b * rowBytes + 8 * k
                let p0 = Self.squaredMagnitudes(spectrum.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
                let p1 = Self.squaredMagnitudes(spectrum.loadUnaligned(fromByteOffset: offset + rowBytes, as: SIMD8<Float>.self))
                let p2 = Self.squaredMagnitudes(spectrum.loadUnaligned(fromByteOffset: offset + 2 * rowBytes, as: SIMD8<Float>.self))
                let p3 = Self.squaredMagnitudes(spectrum.loadUnaligned(fromByteOffset: offset + 3 * rowBytes, as: SIMD8<Float>.self))
                let destination = UnsafeMutableRawPointer(power + k * batch + b)
                destination.storeBytes(of: SIMD4(p0[0], p1[0], p2[0], p3[0]), as: SIMD4<Float>.self)
                destination.storeBytes(of: SIMD4(p0[1], p1[1], p2[1], p3[1]), toByteOffset: 4 * batch, as: SIMD4<Float>.self)
                destination.storeBytes(of: SIMD4(p0[2], p1[2], p2[2], p3[2]), toByteOffset: 8 * batch, as: SIMD4<Float>.self)
                destination.storeBytes(of: SIMD4(p0[3], p1[3], p2[3], p3[3]), toByteOffset: 12 * batch, as: SIMD4<Float>.self)
            }
        }

        // Mel projection through each filter's nonzero band, all `batch` frames at once (loops of fixed
        // length that vectorize), then log10 of the value clamped at 1e-10. The block's maximum is taken
        // on the clamped linear values through their bit patterns (positive floats order like their
        // bits, and an integer max reduction vectorizes where a float one does not); log10 of it is
        // the maximum of the log values because log10 is monotonic.
        var maxBits: UInt32 = 0
        let row = scratch.melRow
        filterbank.weights.withUnsafeBufferPointer { weights in
            for m in 0..<melBins {
                for b in 0..<batch { row[b] = 0 }
                for k in filterbank.bands[m] {
                    let w = weights[m * bins + k]
                    let powerRow = power + k * batch
                    for b in 0..<batch { row[b] += w * powerRow[b] }
                }
                for b in 0..<batch { row[b] = max(row[b], 1e-10) }
                for b in 0..<count { maxBits = max(maxBits, row[b].bitPattern) }
                let destination = output + m * frames + firstFrame
                for b in 0..<count { destination[b] = fastLog10(row[b]) }
            }
        }
        return maxBits
    }

    /// re^2 + im^2 of four interleaved complex values.
    @inline(__always)
    private static func squaredMagnitudes(_ complex: SIMD8<Float>) -> SIMD4<Float> {
        let squares = complex * complex
        return squares.evenHalf + squares.oddHalf
    }

    /// Sample `index` of the input after `paddingSamples` zeros and `center=True` reflect padding:
    /// indices outside [0, totalSamples) mirror back in (repeatedly, like numpy.pad's "reflect").
    @inline(__always)
    static func paddedSample(_ index: Int, samples: UnsafeBufferPointer<Float>, totalSamples: Int) -> Float {
        var i = index
        if totalSamples == 1 {
            i = 0
        } else if i < 0 || i >= totalSamples {
            let period = 2 * (totalSamples - 1)
            i = ((i % period) + period) % period
            if i >= totalSamples { i = period - i }
        }
        return i < samples.count ? samples[i] : 0
    }

    /// whisper's `maximum(x, max - 8)` then `(x + 4) / 4`, in place across `workers` threads.
    private static func floorAndScale(_ values: SharedPointer<Float>, count: Int, floor: Float, workers: Int) {
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let base = values.base
            for i in (worker * count / workers)..<((worker + 1) * count / workers) {
                base[i] = (max(base[i], floor) + 4) / 4
            }
        }
    }
}

/// A pointer handed to worker threads that write disjoint ranges of it (hence @unchecked).
private struct SharedPointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    init(_ base: UnsafeMutablePointer<Element>) { self.base = base }
}

/// Input samples read (never written) by worker threads while the caller's array is pinned.
private struct SharedInput: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Float>
    init(_ buffer: UnsafeBufferPointer<Float>) { self.buffer = buffer }
}
