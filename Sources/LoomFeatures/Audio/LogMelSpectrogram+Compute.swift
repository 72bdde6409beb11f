import Dispatch
import LoomTensor

/// The spectrogram computation: blocks of `blockFrames` frames go through framing + window, one
/// batched FFTW call, the power spectrum (stored bin-major so the mel projection runs along frames),
/// the banded mel projection and log10; a last pass applies whisper's (max - 8) floor and scaling.
extension LogMelSpectrogram {
    func spectrogram(of samples: UnsafeBufferPointer<Float>, paddingSamples: Int) -> Tensor {
        let totalSamples = samples.count + paddingSamples
        let frames = Self.frameCount(samples: samples.count, paddingSamples: paddingSamples)
        let melBins = self.melBins
        guard frames > 0 else { return Tensor(shape: [melBins, 0], data: []) }

        let blockCount = (frames + Self.blockFrames - 1) / Self.blockFrames
        // At least 8 blocks (256 frames, 2.5 s) per thread, or threads cost more than they save.
        let workers = max(1, min(threads, blockCount / 8))
        var blockMaxima = [Float](repeating: -.infinity, count: blockCount)
        let values = [Float](unsafeUninitializedCapacity: melBins * frames) { output, initialized in
            blockMaxima.withUnsafeMutableBufferPointer { maxima in
                let output = SharedPointer(output.baseAddress!), maxima = SharedPointer(maxima.baseAddress!)
                let samples = SharedInput(samples)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let blocks = (worker * blockCount / workers)..<((worker + 1) * blockCount / workers)
                    let scratch = BlockScratch(plan: plan)
                    for block in blocks {
                        maxima.base[block] = logMelBlock(
                            block, samples: samples.buffer, totalSamples: totalSamples, frames: frames,
                            scratch: scratch, output: output.base)
                    }
                }
            }
            initialized = melBins * frames
        }
        let floor = blockMaxima.max()! - 8
        return Tensor(shape: [melBins, frames], data: Self.floorAndScale(values, floor: floor, workers: workers))
    }

    /// One worker's buffers, reused for all its blocks.
    final class BlockScratch {
        let fft: RealFFTPlan.Buffers
        /// (bins, blockFrames): power spectrum, bin-major.
        let power: UnsafeMutablePointer<Float>
        /// (blockFrames): one mel row of the block.
        let melRow: UnsafeMutablePointer<Float>

        init(plan: RealFFTPlan) {
            fft = RealFFTPlan.Buffers(for: plan)
            power = .allocate(capacity: plan.bins * plan.batch)
            melRow = .allocate(capacity: plan.batch)
        }

        deinit {
            power.deallocate()
            melRow.deallocate()
        }
    }

    /// Writes log10(max(mel, 1e-10)) of frames [block * blockFrames, ...) into `output` (melBins, frames)
    /// and returns their maximum.
    private func logMelBlock(
        _ block: Int, samples: UnsafeBufferPointer<Float>, totalSamples: Int, frames: Int,
        scratch: BlockScratch, output: UnsafeMutablePointer<Float>
    ) -> Float {
        let batch = Self.blockFrames, nFFT = Self.nFFT, bins = plan.bins
        let firstFrame = block * batch
        let count = min(batch, frames - firstFrame)

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

        // |X|^2, bin-major: power[k * batch + b].
        let spectrum = scratch.fft.output, rowStride = 2 * plan.outputStride
        let power = scratch.power
        for b in 0..<count {
            let row = spectrum + b * rowStride
            for k in 0..<bins {
                let re = row[2 * k], im = row[2 * k + 1]
                power[k * batch + b] = re * re + im * im
            }
        }

        // Mel projection through each filter's nonzero band, then log10 of the clamped value.
        var blockMax = -Float.infinity
        let melRow = scratch.melRow
        filterbank.weights.withUnsafeBufferPointer { weights in
            for m in 0..<melBins {
                for b in 0..<count { melRow[b] = 0 }
                for k in filterbank.bands[m] {
                    let w = weights[m * bins + k]
                    let powerRow = power + k * batch
                    for b in 0..<count { melRow[b] += w * powerRow[b] }
                }
                let destination = output + m * frames + firstFrame
                for b in 0..<count {
                    let value = fastLog10(max(melRow[b], 1e-10))
                    destination[b] = value
                    blockMax = max(blockMax, value)
                }
            }
        }
        return blockMax
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
    static func floorAndScale(_ values: [Float], floor: Float, workers: Int) -> [Float] {
        var values = values
        let count = values.count
        values.withUnsafeMutableBufferPointer { buffer in
            let values = SharedPointer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let base = values.base
                for i in (worker * count / workers)..<((worker + 1) * count / workers) {
                    base[i] = (max(base[i], floor) + 4) / 4
                }
            }
        }
        return values
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
