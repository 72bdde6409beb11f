@testable import LoomModels
import LoomTensor
import Testing

/// Decoder weights kept as halves (WhisperMatrix.float16) give the products of the same weights
/// widened to float32: few-row steps (the C kernel) and many-row inputs (tiles widened for OpenBLAS,
/// here 3 tiles of a 4099 x 512 weight) both within 1e-5 x sum |x w| + 1e-5 of the float32 path;
/// embedding rows are the exact widened values.
@Suite struct WhisperMatrixTests {
    static func matrices(rows: Int, columns: Int) -> (WhisperMatrix, WhisperMatrix, [Float]) {
        var state: UInt64 = 5
        let bits = (0..<(rows * columns)).map { _ -> UInt16 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float16(Float(Int(state >> 40) % 2001 - 1000) / 1000).bitPattern
        }
        let widened = bits.map { Float(Float16(bitPattern: $0)) }
        return (.float16(WhisperHalfRows(rows: rows, columns: columns, bits: bits)),
                .float32(Tensor(shape: [rows, columns], data: widened)), widened)
    }

    @Test(arguments: [1, 5, 8, 9, 20])
    func halfProductEqualsWidenedProduct(rows: Int) {
        let n = 4099, k = 512
        let (half, float, widened) = Self.matrices(rows: n, columns: k)
        let x = Tensor(shape: [rows, k], data: (0..<(rows * k)).map { Float(($0 * 37) % 101 - 50) / 50 })
        let bias = Tensor(shape: [n], data: (0..<n).map { Float($0 % 7) / 7 })
        let viaHalf = half.product(x, bias: bias), viaFloat = float.product(x, bias: bias)
        #expect(viaHalf.shape == [rows, n])
        var worst: Float = 0
        var failures = 0
        for r in 0..<rows {
            for o in 0..<n {
                var magnitude: Float = 0
                for i in 0..<k { magnitude += abs(x.data[r * k + i] * widened[o * k + i]) }
                let d = abs(viaHalf.data[r * n + o] - viaFloat.data[r * n + o])
                worst = max(worst, d)
                if d > 1e-5 * magnitude + 1e-5 { failures += 1 }
            }
        }
        #expect(failures == 0, "\(failures) outputs differ beyond the tolerance")
        print("whisper half vs float product rows \(rows) maxdiff", worst)
    }

    @Test func halfRowsWidenExactly() {
        let (half, float, _) = Self.matrices(rows: 9, columns: 33)
        #expect(half.rows == 9 && half.columns == 33)
        #expect(half.float32 == float.float32)
        var a = [Float](repeating: 0, count: 33), b = a
        half.copyRow(7, into: &a)
        float.copyRow(7, into: &b)
        #expect(a == b)
    }
}
