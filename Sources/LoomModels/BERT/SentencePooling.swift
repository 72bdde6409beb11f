import Foundation
import LoomTensor

// sentence-transformers' Pooling module (sentence_transformers/models/Pooling.py): token embeddings
// -> one vector per sentence by the CLS token, the max, the mean and/or the mean times sqrt(length)
// over the real tokens; several modes are concatenated in that order (cls, max, mean, mean_sqrt_len).

/// The pooling read from a sentence-transformers 1_Pooling/config.json.
public struct SentencePooling: Sendable, Equatable {
    public var cls: Bool
    public var max: Bool
    public var mean: Bool
    public var meanSqrtLength: Bool

    public init(cls: Bool = false, max: Bool = false, mean: Bool = true, meanSqrtLength: Bool = false) {
        self.cls = cls
        self.max = max
        self.mean = mean
        self.meanSqrtLength = meanSqrtLength
    }

    /// Reads a Pooling config.json; modes Loom does not implement (weighted mean, last token) are
    /// `.unsupported`, and a config with no mode at all is `.malformed`.
    public init(contentsOf url: URL) throws {
        let object = try BERTModelError.jsonObject(url)
        for key in ["pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"] where object[key] as? Bool == true {
            throw BERTModelError(file: url.path, .unsupported("pooling mode \(key)"))
        }
        cls = object["pooling_mode_cls_token"] as? Bool ?? false
        max = object["pooling_mode_max_tokens"] as? Bool ?? false
        mean = object["pooling_mode_mean_tokens"] as? Bool ?? false
        meanSqrtLength = object["pooling_mode_mean_sqrt_len_tokens"] as? Bool ?? false
        guard cls || max || mean || meanSqrtLength else {
            throw BERTModelError(file: url.path, .malformed("no pooling mode is enabled"))
        }
    }

    /// Output width for token embeddings of width `hidden`.
    public func dimension(hidden: Int) -> Int {
        hidden * [cls, max, mean, meanSqrtLength].filter { $0 }.count
    }

    /// One pooled vector of the rows `range` of `states` (tokens, hidden). An empty range pools to
    /// zeros, as sentence-transformers' clamp of the token count to 1e-9.
    public func pool(_ states: Tensor, rows range: Range<Int>) -> [Float] {
        let hidden = states.shape[1]
        var out: [Float] = []
        out.reserveCapacity(dimension(hidden: hidden))
        states.data.withUnsafeBufferPointer { buffer in
            let rows = buffer.baseAddress!
            if cls {
                out.append(contentsOf: range.isEmpty ? [Float](repeating: 0, count: hidden)
                    : Array(UnsafeBufferPointer(start: rows + range.lowerBound * hidden, count: hidden)))
            }
            if max {
                // Pooling.py sets padding to -1e9 before the max; with no padding rows that is plain max.
                var best = [Float](repeating: range.isEmpty ? -1e9 : -.infinity, count: hidden)
                for r in range { for d in 0..<hidden { best[d] = Swift.max(best[d], rows[r * hidden + d]) } }
                out.append(contentsOf: best)
            }
            if mean || meanSqrtLength {
                var sum = [Float](repeating: 0, count: hidden)
                for r in range { for d in 0..<hidden { sum[d] += rows[r * hidden + d] } }
                let count = Float(Swift.max(range.count, 1))
                if mean { out.append(contentsOf: sum.map { $0 / count }) }
                if meanSqrtLength { out.append(contentsOf: sum.map { $0 / count.squareRoot() }) }
            }
        }
        return out
    }

    /// sentence-transformers' Normalize module: x / max(||x||, 1e-12) (torch.nn.functional.normalize).
    public static func l2Normalized(_ v: [Float]) -> [Float] {
        var squares: Float = 0
        for x in v { squares += x * x }
        let norm = Swift.max(squares.squareRoot(), 1e-12)
        return v.map { $0 / norm }
    }
}
