import Foundation
import LoomTensor
import LoomWeights

/// AveragePool and MaxPool over NCHW input, and GlobalAveragePool.
struct Pooling: Sendable {
    enum Kind: Sendable { case average, maximum }
    let kind: Kind
    let kernelHeight, kernelWidth, strideHeight, strideWidth: Int
    let padTop, padLeft, padBottom, padRight: Int
    let ceilMode, countIncludesPadding: Bool

    init(_ node: ONNXGraph.Node, attributes: NodeAttributes, kind: Kind) throws {
        self.kind = kind
        guard let kernel = attributes.ints("kernel_shape"), kernel.count == 2, kernel.allSatisfy({ $0 >= 1 }) else {
            throw attributes.unsupported("a kernel_shape other than two positive sizes")
        }
        let strides = try attributes.ints("strides", count: 2, fallback: [1, 1])
        let pads = try attributes.ints("pads", count: 4, fallback: [0, 0, 0, 0])
        guard (attributes.string("auto_pad") ?? "NOTSET") == "NOTSET", try attributes.ints("dilations", count: 2, fallback: [1, 1]) == [1, 1],
              strides.allSatisfy({ $0 >= 1 }), pads.allSatisfy({ $0 >= 0 }) else {
            throw attributes.unsupported("auto_pad, dilations, strides \(strides) or pads \(pads)")
        }
        (kernelHeight, kernelWidth, strideHeight, strideWidth) = (kernel[0], kernel[1], strides[0], strides[1])
        (padTop, padLeft, padBottom, padRight) = (pads[0], pads[1], pads[2], pads[3])
        ceilMode = (attributes.int("ceil_mode") ?? 0) != 0
        countIncludesPadding = (attributes.int("count_include_pad") ?? 0) != 0
    }

    func run(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else { throw OperatorFailure("input \(x.shape) is not NCHW") }
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        func outSize(_ size: Int, _ padding: Int, _ kernel: Int, _ stride: Int) -> Int {
            let span = size + padding - kernel
            return (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        }
        let outHeight = outSize(height, padTop + padBottom, kernelHeight, strideHeight)
        let outWidth = outSize(width, padLeft + padRight, kernelWidth, strideWidth)
        guard height + padTop + padBottom >= kernelHeight, width + padLeft + padRight >= kernelWidth, outHeight > 0, outWidth > 0 else {
            throw OperatorFailure("the \(kernelHeight)x\(kernelWidth) window does not fit the input \(x.shape)")
        }
        var out = [Float](repeating: 0, count: planes * outHeight * outWidth)
        x.data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for p in 0..<planes {
                    let plane = input.baseAddress! + p * height * width
                    for oh in 0..<outHeight {
                        let top = oh * strideHeight - padTop
                        let rows = max(top, 0)..<min(top + kernelHeight, height)
                        for ow in 0..<outWidth {
                            let left = ow * strideWidth - padLeft
                            let columns = max(left, 0)..<min(left + kernelWidth, width)
                            var total: Float = 0, largest = -Float.infinity
                            for ih in rows { for iw in columns {
                                total += plane[ih * width + iw]
                                largest = max(largest, plane[ih * width + iw])
                            } }
                            let value: Float
                            switch kind {
                            case .maximum: value = largest
                            case .average:
                                // With count_include_pad, the window clipped to the padded input; else to the image.
                                let paddedRows = min(top + kernelHeight, height + padBottom) - top
                                let paddedColumns = min(left + kernelWidth, width + padRight) - left
                                let count = countIncludesPadding ? paddedRows * paddedColumns : rows.count * columns.count
                                value = total / Float(max(count, 1))
                            }
                            output[(p * outHeight + oh) * outWidth + ow] = value
                        }
                    }
                }
            }
        }
        return Tensor(shape: [x.shape[0], x.shape[1], outHeight, outWidth], data: out)
    }

    /// The mean of each (N, C) plane -> (N, C, 1, 1).
    static func globalAverage(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 3 else { throw OperatorFailure("input \(x.shape) has no spatial dimensions") }
        let planes = x.shape[0] * x.shape[1], inner = x.shape[2...].reduce(1, *)
        var out = [Float](repeating: 0, count: planes)
        x.data.withUnsafeBufferPointer { v in
            for p in 0..<planes {
                var total: Float = 0
                for i in 0..<inner { total += v[p * inner + i] }
                out[p] = total / Float(max(inner, 1))
            }
        }
        return Tensor(shape: Array(x.shape[0..<2]) + [Int](repeating: 1, count: x.rank - 2), data: out)
    }
}

/// Resize (opset 11+) with nearest neighbours, asymmetric coordinates and floor rounding: output
/// pixel o reads input pixel floor(o / scale), the only mode PP-OCRv4's upsampling uses.
enum Resampling {
    static func nearest(_ x: Tensor, scales: [Float]?, sizes: [Int]?) throws -> Tensor {
        guard x.rank == 4 else { throw OperatorFailure("input \(x.shape) is not NCHW") }
        let outShape: [Int], factors: [Float]
        if let sizes {
            guard sizes.count == 4 else { throw OperatorFailure("sizes \(sizes) are not 4 values") }
            outShape = sizes
            factors = (0..<4).map { Float(sizes[$0]) / Float(max(x.shape[$0], 1)) }
        } else if let scales {
            guard scales.count == 4, scales.allSatisfy({ $0 > 0 }) else { throw OperatorFailure("scales \(scales) are not 4 positive values") }
            outShape = (0..<4).map { Int((Float(x.shape[$0]) * scales[$0]).rounded(.down)) }
            factors = scales
        } else {
            throw OperatorFailure("neither scales nor sizes are given")
        }
        guard outShape[0] == x.shape[0], outShape[1] == x.shape[1] else {
            throw OperatorFailure("only height and width are resized, not \(x.shape) to \(outShape)")
        }
        let (height, width, outHeight, outWidth) = (x.shape[2], x.shape[3], outShape[2], outShape[3])
        let sourceRow = (0..<outHeight).map { min(Int((Float($0) / factors[2]).rounded(.down)), height - 1) }
        let sourceColumn = (0..<outWidth).map { min(Int((Float($0) / factors[3]).rounded(.down)), width - 1) }
        let planes = x.shape[0] * x.shape[1]
        var out = [Float](repeating: 0, count: planes * outHeight * outWidth)
        x.data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for p in 0..<planes {
                    for oh in 0..<outHeight {
                        let inRow = input.baseAddress! + (p * height + sourceRow[oh]) * width
                        let outRow = output.baseAddress! + (p * outHeight + oh) * outWidth
                        for ow in 0..<outWidth { outRow[ow] = inRow[sourceColumn[ow]] }
                    }
                }
            }
        }
        return Tensor(shape: outShape, data: out)
    }
}

/// ReduceMean and Softmax.
enum Reduction {
    static func mean(_ x: Tensor, axes: [Int]?, keepDimensions: Bool) throws -> Tensor {
        let reduced = Set(try (axes ?? Array(0..<x.rank)).map { try ShapeOperators.axis($0, rank: x.rank) })
        var outShape = x.shape
        for axis in reduced { outShape[axis] = 1 }
        let count = outShape.reduce(1, *)
        let divisor = Float(max(x.count / max(count, 1), 1))
        var out = [Float](repeating: 0, count: count)
        // Each input element adds into the output element it reduces to (LayerNorm's last axis: runs).
        let target = broadcastIndices(from: outShape, to: x.shape)
        x.data.withUnsafeBufferPointer { v in
            for i in v.indices { out[target[i]] += v[i] }
        }
        for i in out.indices { out[i] /= divisor }
        let shape = keepDimensions ? outShape : x.shape.indices.filter { !reduced.contains($0) }.map { x.shape[$0] }
        return Tensor(shape: shape, data: out)
    }

    /// Softmax over `axis`; `coercesTo2D` (opsets below 13) flattens the dimensions from `axis` on
    /// into one row, as those opsets define it.
    static func softmax(_ x: Tensor, axis: Int, coercesTo2D: Bool) throws -> Tensor {
        let axis = try ShapeOperators.axis(axis, rank: x.rank)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        guard coercesTo2D || inner == 1 else {
            // Softmax over a middle axis: move it last, then back.
            var permutation = Array(0..<x.rank)
            permutation.remove(at: axis)
            permutation.append(axis)
            guard case .float(let moved) = try ShapeOperators.transpose(.float(x), permutation: permutation) else { return x }
            let done = try softmax(moved, axis: -1, coercesTo2D: false)
            var inverse = [Int](repeating: 0, count: x.rank)
            for (i, p) in permutation.enumerated() { inverse[p] = i }
            guard case .float(let back) = try ShapeOperators.transpose(.float(done), permutation: inverse) else { return x }
            return back
        }
        let rowLength = x.shape[axis...].reduce(1, *)
        var y = x
        guard rowLength > 0 else { return y }
        y.data.withUnsafeMutableBufferPointer { v in
            Kernels.softmax(v.baseAddress!, rows: v.count / rowLength, dim: rowLength)
        }
        return y
    }
}
