import Foundation
import LoomCheck
import LoomTensor

/// The numeric half of word timing, as openai-whisper's `find_alignment`
/// (https://github.com/openai/whisper/blob/main/whisper/timing.py) and CTranslate2's `Whisper.align`
/// compute it: the alignment heads' cross-attention, softmaxed over the content frames, normalized per
/// head across tokens, median-filtered along time, averaged over heads, then a monotonic path through
/// the negated matrix by dynamic time warping.
public enum WordAlignment {
    /// openai-whisper's and faster-whisper's `medfilt_width` / `median_filter_width`.
    public static let medianFilterWidth = 7

    /// The (tokens, frames) matrix DTW runs on, from per-head raw scores (tokens, frames): softmax
    /// over each row, (w - mean) / std per head and frame across tokens (population std, as
    /// `torch.std_mean(unbiased=False)`), a median filter of `filterWidth` along frames, then the
    /// mean over heads. Rows are every position of the pass; callers slice the text rows out.
    public static func matrix(scores: [Tensor], filterWidth: Int = medianFilterWidth) -> Tensor {
        guard let first = scores.first else { return Tensor(zeros: [0, 0]) }
        let rows = first.shape[0], frames = first.shape[1]
        var sum = [Float](repeating: 0, count: rows * frames)
        for head in scores {
            require(head.shape == [rows, frames], "WordAlignment.matrix: every head needs (\(rows), \(frames)) scores, got \(head.shape)")
            var weights = head.data
            for r in 0..<rows { softmax(&weights, row: r, width: frames) }
            for f in 0..<frames { standardize(&weights, column: f, rows: rows, width: frames) }
            for r in 0..<rows {
                let filtered = medianFilter(Array(weights[r * frames..<(r + 1) * frames]), width: filterWidth)
                for f in 0..<frames { sum[r * frames + f] += filtered[f] }
            }
        }
        let count = Float(scores.count)
        return Tensor(shape: [rows, frames], data: sum.map { $0 / count })
    }

    /// Median of each `width` window along `x`, reflect-padded at both ends (torch's `F.pad(mode="reflect")`,
    /// CTranslate2's `MedianFilter`). Rows no longer than width / 2 come back unchanged, as in timing.py.
    public static func medianFilter(_ x: [Float], width: Int) -> [Float] {
        require(width > 0 && width % 2 == 1, "median filter width must be odd, got \(width)")
        let half = width / 2, n = x.count
        guard n > half else { return x }
        var window = [Float](repeating: 0, count: width)
        var out = [Float](repeating: 0, count: n)
        for j in 0..<n {
            for k in -half...half {
                var read = abs(j + k)
                if read >= n { read = 2 * n - read - 2 }
                window[k + half] = x[read]
            }
            window.sort()
            out[j] = window[half]
        }
        return out
    }

    /// The DTW path through `cost` (N rows, M columns) from (0, 0) to (N-1, M-1), as timing.py's
    /// `dtw_cpu` + `backtrace`: steps diagonal, down (next row) or right (next column), ties going
    /// right; costs summed in Double (timing.py runs it on `x.double()`).
    /// - Returns: (row, column) pairs in path order; empty for an empty matrix.
    public static func dtw(_ cost: Tensor) -> [(row: Int, column: Int)] {
        let n = cost.shape[0], m = cost.shape[1]
        guard n > 0, m > 0 else { return [] }
        let stride = m + 1
        var total = [Double](repeating: .infinity, count: (n + 1) * stride)
        var trace = [Int8](repeating: -1, count: (n + 1) * stride)
        total[0] = 0
        cost.data.withUnsafeBufferPointer { x in
            for j in 1...m {
                for i in 1...n {
                    let c0 = total[(i - 1) * stride + j - 1], c1 = total[(i - 1) * stride + j], c2 = total[i * stride + j - 1]
                    let (c, t): (Double, Int8) = c0 < c1 && c0 < c2 ? (c0, 0) : c1 < c0 && c1 < c2 ? (c1, 1) : (c2, 2)
                    total[i * stride + j] = Double(x[(i - 1) * m + j - 1]) + c
                    trace[i * stride + j] = t
                }
            }
        }
        for j in 0...m { trace[j] = 2 }
        for i in 0...n { trace[i * stride] = 1 }
        var path: [(row: Int, column: Int)] = []
        var i = n, j = m
        while i > 0 || j > 0 {
            path.append((i - 1, j - 1))
            switch trace[i * stride + j] {
            case 0: i -= 1; j -= 1
            case 1: i -= 1
            default: j -= 1
            }
        }
        return path.reversed()
    }

    /// Row `row` of a (rows, width) buffer to its softmax.
    private static func softmax(_ x: inout [Float], row: Int, width: Int) {
        let start = row * width
        var maximum = -Float.infinity
        for f in start..<start + width { maximum = max(maximum, x[f]) }
        var total: Float = 0
        for f in start..<start + width {
            x[f] = exp(x[f] - maximum)
            total += x[f]
        }
        for f in start..<start + width { x[f] /= total }
    }

    /// Column `column` to (x - mean) / std over its rows.
    private static func standardize(_ x: inout [Float], column: Int, rows: Int, width: Int) {
        var mean: Float = 0
        for r in 0..<rows { mean += x[r * width + column] }
        mean /= Float(rows)
        var variance: Float = 0
        for r in 0..<rows {
            let d = x[r * width + column] - mean
            variance += d * d
        }
        let std = (variance / Float(rows)).squareRoot()
        for r in 0..<rows { x[r * width + column] = (x[r * width + column] - mean) / std }
    }
}
