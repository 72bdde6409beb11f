import Dispatch
import Foundation
import LoomTensor

/// Exact search that reads a quarter of the bytes: every row is also kept as int8 codes with a scale
/// (v ~ scale * codes) and the norm of its rounding error. A query first scores the codes; the error
/// norm bounds how far each approximate score can be from the true one (|q.(v - v~)| <= |q| |v - v~|,
/// Cauchy-Schwarz), so every row whose upper bound reaches the k-th best lower bound is rescored in
/// float32, and the result equals `ExactVectorIndex`'s. Worth it where the float32 scan is
/// memory-bound (100k x 384 floats are 154 MB per query; the codes are 38 MB).
public struct QuantizedVectorIndex: VectorSearching {
    public let count: Int
    public let dimension: Int
    let matrix: [Float]
    let codes: [Int8]
    let scales: [Float]
    let errors: [Float]

    public init(rows: [Float], dimension: Int) {
        precondition(dimension > 0 && rows.count % dimension == 0, "matrix of \(rows.count) floats is not rows of \(dimension)")
        let count = rows.count / dimension
        self.dimension = dimension
        self.count = count
        matrix = rows
        var codes = [Int8](repeating: 0, count: rows.count)
        var scales = [Float](repeating: 0, count: count), errors = [Float](repeating: 0, count: count)
        rows.withUnsafeBufferPointer { v in
            for r in 0..<count {
                let row = v[(r * dimension)..<((r + 1) * dimension)]
                let largest = row.reduce(0) { max($0, abs($1)) }
                let scale = largest > 0 ? largest / 127 : 1
                var error: Float = 0
                for (i, x) in row.enumerated() {
                    let code = Int8((x / scale).rounded())
                    codes[r * dimension + i] = code
                    let residual = x - scale * Float(code)
                    error += residual * residual
                }
                // Rounding in the bound itself: a relative margin keeps it an upper bound.
                (scales[r], errors[r]) = (scale, error.squareRoot() * 1.0001 + 1e-6)
            }
        }
        (self.codes, self.scales, self.errors) = (codes, scales, errors)
    }

    /// Approximate scores: scale * (codes . query), two threads' halves of the rows at a time.
    func approximateScores(_ query: [Float]) -> [Float] {
        var scores = [Float](repeating: 0, count: count)
        let parts = max(1, min(ComputeParts.count, count / 4096))
        let dimension = self.dimension, count = self.count
        codes.withUnsafeBufferPointer { c in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    let (c, q, s) = (SendablePointer(c), SendablePointer(q), SendableMutablePointer(s))
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        for r in (count * part / parts)..<(count * (part + 1) / parts) {
                            let row = c.buffer.baseAddress! + r * dimension
                            var i = 0
                            var sum = SIMD8<Float>()
                            while i + 8 <= dimension {
                                let code = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Int8>.self)))
                                sum += code * UnsafeRawPointer(q.buffer.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                                i += 8
                            }
                            var total = sum.sum()
                            while i < dimension { total += Float(row[i]) * q.buffer[i]; i += 1 }
                            s.buffer[r] = total
                        }
                    }
                }
            }
        }
        for r in 0..<count { scores[r] *= scales[r] }
        return scores
    }

    public func nearest(to query: [Float], k: Int, groups: [Int32]?, includeGroup: (Int32) -> Bool) -> [ScoredRow] {
        precondition(query.count == dimension, "query of size \(query.count) for vectors of size \(dimension)")
        guard k > 0, count > 0 else { return [] }
        let approximate = approximateScores(query)
        let queryNorm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let groupOf: (Int) -> Int32 = { groups.map { g in { g[$0] } } ?? { Int32($0) } }()
        // The k-th best lower bound over admitted groups.
        let groupCount = groups.map { Int($0.max() ?? -1) + 1 } ?? count
        var bestLower = [Float](repeating: -.infinity, count: groupCount)
        for r in 0..<count {
            let g = Int(groupOf(r))
            bestLower[g] = max(bestLower[g], approximate[r] - queryNorm * errors[r])
        }
        var lowers = ExactVectorIndex.TopK(k)
        for (g, lower) in bestLower.enumerated() where lower > -.infinity {
            if lowers.admits(lower, g) && includeGroup(Int32(g)) { lowers.insert(ScoredRow(row: g, score: lower)) }
        }
        let threshold = lowers.rows.count == k ? lowers.rows[k - 1].score : -.infinity
        // Every row that could reach the result, rescored exactly.
        var rescored: [Int32: ScoredRow] = [:]
        matrix.withUnsafeBufferPointer { m in
            for r in 0..<count where approximate[r] + queryNorm * errors[r] >= threshold {
                let g = groupOf(r)
                var score: Float = 0
                for i in 0..<dimension { score += m[r * dimension + i] * query[i] }
                let key = groups == nil ? Int32(r) : g
                if let current = rescored[key], !ExactVectorIndex.TopK.better(ScoredRow(row: r, score: score), current) { continue }
                rescored[key] = ScoredRow(row: r, score: score)
            }
        }
        var top = ExactVectorIndex.TopK(k)
        for (g, row) in rescored where top.admits(row.score, row.row) && includeGroup(g) { top.insert(row) }
        return top.rows
    }
}

/// Threads for the code scan (the compute pool's size).
enum ComputeParts {
    static var count: Int { max(1, ComputeThreads.count) }
}

struct SendablePointer<T>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<T>
    init(_ buffer: UnsafeBufferPointer<T>) { self.buffer = buffer }
}

struct SendableMutablePointer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}
