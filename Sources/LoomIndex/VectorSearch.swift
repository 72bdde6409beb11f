import LoomCheck
import CLoomMath
import Foundation

/// A row of a vector collection and its score against a query.
public struct ScoredRow: Sendable, Equatable {
    public var row: Int
    public var score: Float
}

/// Nearest-neighbour search over one model's vectors. `ExactVectorIndex` scores every row; an
/// approximate index (HNSW, IVF) can take its place behind this protocol, built from the same rows.
public protocol VectorSearching: Sendable {
    var count: Int { get }
    var dimension: Int { get }
    /// The `k` best rows by dot product with `query` (cosine, for normalized vectors), best first;
    /// `k` may be larger than `count`. Rows whose score is NaN or infinite (a bad stored vector) are
    /// never returned. With `groups` (a group number per row, e.g. its item), only the best row of
    /// each group counts; `includeGroup` filters groups (or rows, when `groups` is nil) before ranking.
    func nearest(to query: [Float], k: Int, groups: [Int32]?, includeGroup: (Int32) -> Bool) -> [ScoredRow]
}

/// Exact search: one `cblas_sgemv` of the contiguous (count, dimension) matrix with the query, then
/// a best-per-group pass and a partial sort. Memory-bound: 100k x 384 floats is 154 MB per query.
public struct ExactVectorIndex: VectorSearching {
    public let count: Int
    public let dimension: Int
    /// Row-major (count, dimension).
    let matrix: [Float]

    public init(rows: [Float], dimension: Int) {
        require(dimension > 0 && rows.count % dimension == 0, "matrix of \(rows.count) floats is not rows of \(dimension)")
        matrix = rows
        self.dimension = dimension
        count = rows.count / dimension
    }

    /// Scores of every row: matrix (count, dimension) x query (dimension).
    public func scores(_ query: [Float]) -> [Float] {
        require(query.count == dimension, "query of size \(query.count) for vectors of size \(dimension)")
        var scores = [Float](repeating: 0, count: count)
        guard count > 0 else { return scores }
        matrix.withUnsafeBufferPointer { m in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimension), 1,
                                m.baseAddress, Int32(dimension), q.baseAddress, 1, 0, s.baseAddress, 1)
                }
            }
        }
        return scores
    }

    public func nearest(to query: [Float], k: Int, groups: [Int32]?, includeGroup: (Int32) -> Bool) -> [ScoredRow] {
        guard k > 0, count > 0 else { return [] }
        let scores = scores(query)
        var top = TopK(k, rows: count)
        scores.withUnsafeBufferPointer { s in
            guard let groups else {
                for row in 0..<count where s[row].isFinite && top.admits(s[row], row) && includeGroup(Int32(row)) {
                    top.insert(ScoredRow(row: row, score: s[row]))
                }
                return
            }
            require(groups.count == count, "\(groups.count) group numbers for \(count) rows")
            // Best row per group; group numbers are dense (0..<groupCount).
            let groupCount = Int(groups.max() ?? -1) + 1
            var best = [Int32](repeating: -1, count: groupCount)
            groups.withUnsafeBufferPointer { g in
                best.withUnsafeMutableBufferPointer { b in
                    for row in 0..<count where s[row].isFinite {  // a NaN would never be beaten
                        let group = Int(g[row])
                        let current = b[group]
                        if current < 0 || s[row] > s[Int(current)] { b[group] = Int32(row) }
                    }
                }
            }
            // Filters run only for groups that would enter the top k.
            for (group, row) in best.enumerated() where row >= 0 {
                let score = s[Int(row)]
                if top.admits(score, Int(row)) && includeGroup(Int32(group)) { top.insert(ScoredRow(row: Int(row), score: score)) }
            }
        }
        return top.rows
    }

    /// The k best of a stream, best first; ties broken by row for a stable order.
    struct TopK {
        let k: Int
        private(set) var rows: [ScoredRow] = []

        /// `rows`: how many candidates there are at most, so a huge `k` allocates nothing extra.
        init(_ k: Int, rows count: Int) {
            self.k = k
            rows.reserveCapacity(min(k, count) + 1)
        }

        static func better(_ a: ScoredRow, _ b: ScoredRow) -> Bool { a.score > b.score || (a.score == b.score && a.row < b.row) }

        /// Whether a row with this score would be kept (cheap; checked before any filter).
        func admits(_ score: Float, _ row: Int) -> Bool {
            rows.count < k || Self.better(ScoredRow(row: row, score: score), rows[k - 1])
        }

        mutating func insert(_ candidate: ScoredRow) {
            var index = rows.count
            while index > 0 && Self.better(candidate, rows[index - 1]) { index -= 1 }
            rows.insert(candidate, at: index)
            if rows.count > k { rows.removeLast() }
        }
    }
}
