import Foundation
import LoomModels
import LoomTensor
import LoomTestSupport

/// Shared helpers of the Whisper tests (fixtures from Scripts/reference/dump_whisper.py).
enum WhisperFixtures {
    struct Summary: Decodable {
        let shape: [Int]
        let sum: Double
        let abs_sum: Double
        let min: Double
        let max: Double
    }

    /// Every `step`-th row of a (rows, columns) tensor, flattened.
    static func rows(_ t: Tensor, every step: Int) -> [Float] {
        let columns = t.shape[1]
        return stride(from: 0, to: t.shape[0], by: step).flatMap { r in t.data[(r * columns)..<((r + 1) * columns)] }
    }

    static func sum(_ values: [Float]) -> Double { values.reduce(0) { $0 + Double($1) } }

    /// The deterministic input of the tiny random model (`random_mel` in dump_whisper.py).
    static func syntheticMel(bins: Int = 80, frames: Int = 3000) -> Tensor {
        var data = [Float](repeating: 0, count: bins * frames)
        for c in 0..<bins {
            for t in 0..<frames {
                let (cd, td) = (Double(c), Double(t))
                data[c * frames + t] = Float(sin(0.013 * (cd + 1) * td) * 0.8 + cos(0.07 * cd + 0.001 * td) * 0.3)
            }
        }
        return Tensor(shape: [bins, frames], data: data)
    }

    /// Index of the largest value in `row`.
    static func argmax(_ row: ArraySlice<Float>) -> Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    static let tinyRandomFolder = Fixtures.url("whisper/tiny-random")
}
