import Foundation
@testable import LoomIndex
import Testing

/// The BLAS scan against a plain loop of dot products, grouping and filtering.
@Suite("Exact vector search")
struct VectorSearchTests {
    /// Seeded vectors: (rows, dimension) in [-1, 1].
    func matrix(_ rows: Int, _ dimension: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<(rows * dimension)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
    }

    @Test func scoresEqualPlainDotProducts() {
        let (rows, dimension) = (257, 48)
        let data = matrix(rows, dimension, seed: 1)
        let query = matrix(1, dimension, seed: 2)
        let scores = ExactVectorIndex(rows: data, dimension: dimension).scores(query)
        var worst: Float = 0
        for r in 0..<rows {
            var dot: Double = 0
            for d in 0..<dimension { dot += Double(data[r * dimension + d]) * Double(query[d]) }
            worst = max(worst, abs(scores[r] - Float(dot)))
        }
        print("sgemv vs loop maxdiff", worst)
        #expect(worst <= 1e-4)
    }

    @Test func nearestIsTheTopOfAFullSort() {
        let (rows, dimension) = (500, 16)
        let index = ExactVectorIndex(rows: matrix(rows, dimension, seed: 3), dimension: dimension)
        let query = matrix(1, dimension, seed: 4)
        let scores = index.scores(query)
        let expected = scores.indices.sorted { scores[$0] > scores[$1] }.prefix(7)
        #expect(index.nearest(to: query, k: 7, groups: nil, includeGroup: { _ in true }).map(\.row) == Array(expected))
        // Filtering drops rows before ranking.
        let odd = index.nearest(to: query, k: 5, groups: nil, includeGroup: { $0 % 2 == 1 })
        #expect(odd.map(\.row) == Array(scores.indices.filter { $0 % 2 == 1 }.sorted { scores[$0] > scores[$1] }.prefix(5)))
    }

    @Test func groupsGiveOneBestRowEach() {
        // Rows 0-2 belong to group 0, rows 3-4 to group 1, row 5 to group 2.
        let data: [Float] = [0.1, 0, 0.9, 0, 0.5, 0, 0.8, 0, 0.7, 0, 0.2, 0]
        let index = ExactVectorIndex(rows: data, dimension: 2)
        let groups: [Int32] = [0, 0, 0, 1, 1, 2]
        let hits = index.nearest(to: [1, 0], k: 10, groups: groups, includeGroup: { _ in true })
        #expect(hits.map(\.row) == [1, 3, 5])
        #expect(hits.map(\.score) == [0.9, 0.8, 0.2])
        #expect(index.nearest(to: [1, 0], k: 10, groups: groups, includeGroup: { $0 != 1 }).map(\.row) == [1, 5])
        #expect(index.nearest(to: [1, 0], k: 1, groups: groups, includeGroup: { _ in true }).map(\.row) == [1])
    }

    /// `loom search --k 10000000000` once reserved room for k results up front (160 GB).
    @Test func hugeKAllocatesOnlyForTheRowsThereAre() {
        let index = ExactVectorIndex(rows: [1, 0, 0.5, 0.5, 0, 1], dimension: 2)
        #expect(index.nearest(to: [1, 0], k: 10_000_000_000, groups: nil, includeGroup: { _ in true }).map(\.row) == [0, 1, 2])
        #expect(index.nearest(to: [1, 0], k: 10_000_000_000, groups: [0, 0, 1], includeGroup: { _ in true }).map(\.row) == [0, 2])
    }

    /// A NaN or infinite stored vector scores NaN or infinity: it is left out, and the other rows
    /// keep their order (a NaN once blocked every row after it from the top k).
    @Test func nonFiniteScoresAreLeftOut() {
        let data: [Float] = [.nan, 0, 0.9, 0, .infinity, 0, 0.5, 0, 0.7, 0]
        let index = ExactVectorIndex(rows: data, dimension: 2)
        #expect(index.nearest(to: [1, 0], k: 2, groups: nil, includeGroup: { _ in true }).map(\.row) == [1, 4])
        #expect(index.nearest(to: [1, 0], k: 10, groups: nil, includeGroup: { _ in true }).map(\.row) == [1, 4, 3])
        // Group 0 holds the NaN row and the best finite one; group 1 only the infinite row.
        let grouped = index.nearest(to: [1, 0], k: 10, groups: [0, 0, 1, 2, 2], includeGroup: { _ in true })
        #expect(grouped.map(\.row) == [1, 4])
        #expect(grouped.allSatisfy { $0.score.isFinite })
    }

    @Test func emptyIndexFindsNothing() {
        let index = ExactVectorIndex(rows: [], dimension: 4)
        #expect(index.nearest(to: [1, 0, 0, 0], k: 3, groups: [], includeGroup: { _ in true }).isEmpty)
    }
}
