import CLoomKernels
import LoomTensor
import LoomWeights

/// ONNX Conv on NCHW float input with stored weights (M, C / group, KH, KW): group 1 as one GEMM per
/// image (1x1 kernels directly, others over im2col columns), depthwise (group = C = M) as direct
/// per-channel loops, other groups as one GEMM per group. Pads are (top, left, bottom, right);
/// dilations must be 1.
struct Convolution: Sendable {
    var weight: [Float]
    var bias: [Float]
    let outChannels, inChannelsPerGroup, groups: Int
    let kernelHeight, kernelWidth, strideHeight, strideWidth: Int
    let padTop, padLeft, padBottom, padRight: Int
    /// The fused epilogue (ONNXFusion.swift): y = activation(conv) * outputScale + outputShift.
    var activation = ConvActivation.identity
    var outputScale: Float = 1, outputShift: Float = 0

    init(_ node: ONNXGraph.Node, attributes: NodeAttributes, constants: [String: ONNXValue]) throws {
        guard let weight = try attributes.constantTensor(1, constants: constants, what: "weight"), weight.rank == 4 else {
            throw attributes.unsupported("a weight that is not a stored (M, C, KH, KW) tensor")
        }
        let (m, c, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        groups = attributes.int("group") ?? 1
        guard groups >= 1, m % groups == 0, try attributes.ints("dilations", count: 2, fallback: [1, 1]) == [1, 1],
              (attributes.string("auto_pad") ?? "NOTSET") == "NOTSET" else {
            throw attributes.unsupported("group \(groups), dilations or auto_pad other than 1 and NOTSET")
        }
        let strides = try attributes.ints("strides", count: 2, fallback: [1, 1])
        let pads = try attributes.ints("pads", count: 4, fallback: [0, 0, 0, 0])
        guard strides.allSatisfy({ $0 >= 1 }), pads.allSatisfy({ $0 >= 0 }) else { throw attributes.unsupported("strides \(strides), pads \(pads)") }
        let bias = try attributes.constantTensor(2, constants: constants, what: "bias")
        guard bias == nil || bias!.count == m else { throw attributes.unsupported("a bias of \(bias!.count) values for \(m) channels") }
        self.weight = weight.data
        self.bias = bias?.data ?? [Float](repeating: 0, count: m)
        (outChannels, inChannelsPerGroup, kernelHeight, kernelWidth) = (m, c, kh, kw)
        (strideHeight, strideWidth) = (strides[0], strides[1])
        (padTop, padLeft, padBottom, padRight) = (pads[0], pads[1], pads[2], pads[3])
    }

    /// This convolution followed by a per-channel affine map (a folded BatchNormalization).
    func folding(_ affine: ChannelAffine) -> Convolution {
        var folded = self
        let perChannel = inChannelsPerGroup * kernelHeight * kernelWidth
        for m in 0..<outChannels {
            for i in 0..<perChannel { folded.weight[m * perChannel + i] *= affine.scale[m] }
            folded.bias[m] = bias[m] * affine.scale[m] + affine.shift[m]
        }
        return folded
    }

    func run(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == inChannelsPerGroup * groups else {
            throw OperatorFailure("input \(x.shape) does not have \(inChannelsPerGroup * groups) channels in NCHW")
        }
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let paddedHeight = height + padTop + padBottom, paddedWidth = width + padLeft + padRight
        guard paddedHeight >= kernelHeight, paddedWidth >= kernelWidth else {
            throw OperatorFailure("the \(kernelHeight)x\(kernelWidth) kernel does not fit the padded \(paddedHeight)x\(paddedWidth) input")
        }
        let outHeight = (paddedHeight - kernelHeight) / strideHeight + 1
        let outWidth = (paddedWidth - kernelWidth) / strideWidth + 1
        let positions = outHeight * outWidth
        let depthwise = groups == channels && groups == outChannels && inChannelsPerGroup == 1
        let pointwise = kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
            && padTop + padLeft + padBottom + padRight == 0
        let outPerGroup = outChannels / groups
        let patch = inChannelsPerGroup * kernelHeight * kernelWidth
        // im2col runs over blocks of output rows whose columns fit in about 2 MB, so the buffer stays
        // in cache and is not allocated per image (a 96-channel 3x3 layer at 200x256 would need 177 MB).
        let blockRows = depthwise || pointwise ? outHeight : max(1, min(outHeight, (1 << 19) / max(patch * outWidth, 1)))
        var columns = [Float](repeating: 0, count: depthwise || pointwise ? 0 : patch * blockRows * outWidth)
        let hasEpilogue = activation != .identity || outputScale != 1 || outputShift != 0
        // Every element is written below (bias first, or the depthwise loops), so no zero fill.
        let out = [Float](unsafeUninitializedCapacity: batch * outChannels * positions) { buffer, initialized in
            initialized = buffer.count
            guard let output = buffer.baseAddress else { return }
            x.data.withUnsafeBufferPointer { input in
                weight.withUnsafeBufferPointer { w in
                    columns.withUnsafeMutableBufferPointer { cp in
                        for n in 0..<batch {
                            let image = input.baseAddress! + n * channels * height * width
                            let result = output + n * outChannels * positions
                            if depthwise {
                                depthwiseImage(image, height: height, width: width, weight: w.baseAddress!, into: result,
                                               outHeight: outHeight, outWidth: outWidth)
                                continue
                            }
                            // Bias first, then the GEMM accumulates onto it (beta 1).
                            for m in 0..<outChannels { (result + m * positions).initialize(repeating: bias[m], count: positions) }
                            for g in 0..<groups {
                                let groupInput = image + g * inChannelsPerGroup * height * width
                                let weights = w.baseAddress! + g * outPerGroup * patch
                                let groupResult = result + g * outPerGroup * positions
                                if pointwise {
                                    // (M/g, C/g) x (C/g, H*W) -> (M/g, H*W)
                                    BLAS.sgemm(m: outPerGroup, n: positions, k: patch, a: weights, lda: patch,
                                               b: groupInput, ldb: positions, beta: 1, c: groupResult, ldc: positions)
                                    continue
                                }
                                for firstRow in stride(from: 0, to: outHeight, by: blockRows) {
                                    let rows = firstRow..<min(firstRow + blockRows, outHeight)
                                    let blockPositions = rows.count * outWidth
                                    im2col(groupInput, channels: inChannelsPerGroup, height: height, width: width,
                                           outRows: rows, outWidth: outWidth, into: cp.baseAddress!)
                                    // (M/g, C/g*KH*KW) x (C/g*KH*KW, rows*Wout) -> those output columns
                                    BLAS.sgemm(
                                        m: outPerGroup, n: blockPositions, k: patch, a: weights, lda: patch,
                                        b: cp.baseAddress!, ldb: blockPositions, beta: 1,
                                        c: groupResult + firstRow * outWidth, ldc: positions)
                                }
                            }
                            if hasEpilogue {
                                ComputeThreads.forEachChunk(outChannels, minimumPerChunk: 4) { channels in
                                    for m in channels {
                                        activation.apply(result + m * positions, count: positions, scale: outputScale, shift: outputShift)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [batch, outChannels, outHeight, outWidth], data: out)
    }

    /// Depthwise convolution of one image: each output channel reads only its own input channel
    /// (`loom_depthwise_conv2d`, row by row in cache), then the fused epilogue; channels in parallel.
    private func depthwiseImage(
        _ image: UnsafePointer<Float>, height: Int, width: Int, weight: UnsafePointer<Float>,
        into result: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int
    ) {
        let taps = kernelHeight * kernelWidth
        ComputeThreads.forEachChunk(outChannels, minimumPerChunk: 4) { channels in
            for c in channels {
                let target = result + c * outHeight * outWidth
                loom_depthwise_conv2d(
                    image + c * height * width, Int64(height), Int64(width), weight + c * taps, Int64(kernelHeight),
                    Int64(kernelWidth), Int64(strideHeight), Int64(strideWidth), Int64(padTop), Int64(padLeft), bias[c],
                    target, Int64(outHeight), Int64(outWidth))
                activation.apply(target, count: outHeight * outWidth, scale: outputScale, shift: outputShift)
            }
        }
    }

    /// Columns (C*KH*KW, rows*Wout) of one image's channels for output rows `outRows`, for the GEMM;
    /// padding reads as zero.
    private func im2col(
        _ image: UnsafePointer<Float>, channels: Int, height: Int, width: Int, outRows: Range<Int>, outWidth: Int,
        into columns: UnsafeMutablePointer<Float>
    ) {
        let positions = outRows.count * outWidth
        for c in 0..<channels {
            let plane = image + c * height * width
            for kh in 0..<kernelHeight {
                for kw in 0..<kernelWidth {
                    let row = columns + ((c * kernelHeight + kh) * kernelWidth + kw) * positions
                    // Output columns whose input column ow * s - padLeft + kw lies inside the image.
                    let firstColumn = min(max(0, (padLeft - kw + strideWidth - 1) / strideWidth), outWidth)
                    let endColumn = max(min(outWidth, (width - 1 + padLeft - kw) / strideWidth + 1), firstColumn)
                    for (block, oh) in outRows.enumerated() {
                        let ih = oh * strideHeight - padTop + kh
                        let outRow = row + block * outWidth
                        guard ih >= 0 && ih < height else {
                            outRow.update(repeating: 0, count: outWidth)
                            continue
                        }
                        let inRow = plane + ih * width - padLeft + kw
                        for ow in 0..<firstColumn { outRow[ow] = 0 }
                        if strideWidth == 1 {
                            for ow in firstColumn..<endColumn { outRow[ow] = inRow[ow] }
                        } else {
                            for ow in firstColumn..<endColumn { outRow[ow] = inRow[ow * strideWidth] }
                        }
                        for ow in endColumn..<outWidth { outRow[ow] = 0 }
                    }
                }
            }
        }
    }
}

/// ONNX ConvTranspose (group 1) with stored weights (C, M, KH, KW): one GEMM gives every input
/// pixel's KHxKW contribution to each output channel, then col2im adds them into place.
struct TransposedConvolution: Sendable {
    let weight: [Float]
    let bias: [Float]
    let inChannels, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth: Int
    let padTop, padLeft, padBottom, padRight, outputPadHeight, outputPadWidth: Int

    init(_ node: ONNXGraph.Node, attributes: NodeAttributes, constants: [String: ONNXValue]) throws {
        guard let weight = try attributes.constantTensor(1, constants: constants, what: "weight"), weight.rank == 4 else {
            throw attributes.unsupported("a weight that is not a stored (C, M, KH, KW) tensor")
        }
        guard (attributes.int("group") ?? 1) == 1, try attributes.ints("dilations", count: 2, fallback: [1, 1]) == [1, 1],
              (attributes.string("auto_pad") ?? "NOTSET") == "NOTSET", attributes.ints("output_shape") == nil else {
            throw attributes.unsupported("groups, dilations, auto_pad or output_shape")
        }
        let strides = try attributes.ints("strides", count: 2, fallback: [1, 1])
        let pads = try attributes.ints("pads", count: 4, fallback: [0, 0, 0, 0])
        let outputPadding = try attributes.ints("output_padding", count: 2, fallback: [0, 0])
        guard strides.allSatisfy({ $0 >= 1 }), pads.allSatisfy({ $0 >= 0 }) else { throw attributes.unsupported("strides \(strides), pads \(pads)") }
        (inChannels, outChannels, kernelHeight, kernelWidth) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let bias = try attributes.constantTensor(2, constants: constants, what: "bias")
        guard bias == nil || bias!.count == outChannels else { throw attributes.unsupported("a bias of \(bias!.count) values") }
        self.weight = weight.data
        self.bias = bias?.data ?? [Float](repeating: 0, count: outChannels)
        (strideHeight, strideWidth) = (strides[0], strides[1])
        (padTop, padLeft, padBottom, padRight) = (pads[0], pads[1], pads[2], pads[3])
        (outputPadHeight, outputPadWidth) = (outputPadding[0], outputPadding[1])
    }

    func run(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == inChannels else { throw OperatorFailure("input \(x.shape) does not have \(inChannels) channels in NCHW") }
        let (batch, height, width) = (x.shape[0], x.shape[2], x.shape[3])
        let outHeight = (height - 1) * strideHeight + kernelHeight - padTop - padBottom + outputPadHeight
        let outWidth = (width - 1) * strideWidth + kernelWidth - padLeft - padRight + outputPadWidth
        guard outHeight > 0, outWidth > 0 else { throw OperatorFailure("the output of input \(x.shape) would be empty") }
        let pixels = height * width
        let rows = outChannels * kernelHeight * kernelWidth
        var columns = [Float](repeating: 0, count: rows * pixels)
        var out = [Float](repeating: 0, count: batch * outChannels * outHeight * outWidth)
        x.data.withUnsafeBufferPointer { input in
            weight.withUnsafeBufferPointer { w in
                columns.withUnsafeMutableBufferPointer { cp in
                    out.withUnsafeMutableBufferPointer { output in
                        for n in 0..<batch {
                            // (C, M*KH*KW)^T x (C, H*W) -> (M*KH*KW, H*W)
                            BLAS.sgemm(
                                transposeA: true, m: rows, n: pixels, k: inChannels, a: w.baseAddress!, lda: rows,
                                b: input.baseAddress! + n * inChannels * pixels, ldb: pixels, c: cp.baseAddress!, ldc: pixels)
                            let result = output.baseAddress! + n * outChannels * outHeight * outWidth
                            for m in 0..<outChannels {
                                let plane = result + m * outHeight * outWidth
                                plane.update(repeating: bias[m], count: outHeight * outWidth)
                                for kh in 0..<kernelHeight {
                                    for kw in 0..<kernelWidth {
                                        let row = cp.baseAddress! + ((m * kernelHeight + kh) * kernelWidth + kw) * pixels
                                        for ih in 0..<height {
                                            let oh = ih * strideHeight - padTop + kh
                                            guard oh >= 0 && oh < outHeight else { continue }
                                            for iw in 0..<width {
                                                let ow = iw * strideWidth - padLeft + kw
                                                if ow >= 0 && ow < outWidth { plane[oh * outWidth + ow] += row[ih * width + iw] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [batch, outChannels, outHeight, outWidth], data: out)
    }
}

/// y = x * scale + shift per channel (axis 1): BatchNormalization in inference mode, with
/// scale = gamma / sqrt(var + epsilon) and shift = beta - mean * scale.
struct ChannelAffine: Sendable {
    let scale: [Float]
    let shift: [Float]

    init(scale: [Float], shift: [Float]) {
        (self.scale, self.shift) = (scale, shift)
    }

    init(batchNorm node: ONNXGraph.Node, attributes: NodeAttributes, constants: [String: ONNXValue]) throws {
        let epsilon = attributes.float("epsilon") ?? 1e-5
        var parameters: [[Float]] = []
        for (index, what) in ["scale", "bias", "mean", "variance"].enumerated() {
            guard let tensor = try attributes.constantTensor(index + 1, constants: constants, what: what) else {
                throw attributes.unsupported("no \(what)")
            }
            parameters.append(tensor.data)
        }
        let count = parameters[0].count
        guard parameters.allSatisfy({ $0.count == count }) else { throw attributes.unsupported("parameters of different lengths") }
        let scale = (0..<count).map { parameters[0][$0] / (parameters[3][$0] + epsilon).squareRoot() }
        self.scale = scale
        shift = (0..<count).map { parameters[1][$0] - parameters[2][$0] * scale[$0] }
    }

    func run(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, x.shape[1] == scale.count else { throw OperatorFailure("input \(x.shape) does not have \(scale.count) channels") }
        let inner = x.shape[2...].reduce(1, *)
        var y = x
        y.data.withUnsafeMutableBufferPointer { data in
            for n in 0..<x.shape[0] {
                for c in 0..<scale.count {
                    let plane = data.baseAddress! + (n * scale.count + c) * inner
                    for i in 0..<inner { plane[i] = plane[i] * scale[c] + shift[c] }
                }
            }
        }
        return y
    }
}

/// MatMul with numpy semantics: (..., M, K) x (..., K, N), leading dimensions broadcast; a rank-1
/// operand is a row (left) or a column (right) vector, dropped from the result.
enum Products {
    static func matMul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 1, b.rank >= 1 else { throw OperatorFailure("MatMul of scalars \(a.shape), \(b.shape)") }
        let aShape = a.rank == 1 ? [1] + a.shape : a.shape
        let bShape = b.rank == 1 ? b.shape + [1] : b.shape
        let (m, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
        let (k2, n) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
        guard k == k2 else { throw OperatorFailure("inner dimensions differ: \(a.shape) x \(b.shape)") }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = broadcastShape(aBatch, bBatch) else { throw OperatorFailure("batch dimensions \(aBatch) and \(bBatch) do not broadcast") }
        let count = batch.reduce(1, *)
        var out = [Float](repeating: 0, count: count * m * n)
        // The flat matrix index in each operand for each output matrix (broadcast dimensions repeat).
        let aIndex = broadcastIndices(from: aBatch, to: batch), bIndex = broadcastIndices(from: bBatch, to: batch)
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    for i in 0..<count {
                        BLAS.sgemm(
                            m: m, n: n, k: k, a: ap.baseAddress! + aIndex[i] * m * k, lda: k,
                            b: bp.baseAddress! + bIndex[i] * k * n, ldb: n, c: op.baseAddress! + i * m * n, ldc: n)
                    }
                }
            }
        }
        var shape = batch + [m, n]
        if a.rank == 1 { shape.remove(at: shape.count - 2) }
        if b.rank == 1 { shape.removeLast() }
        return Tensor(shape: shape, data: out)
    }
}

/// The numpy broadcast of two shapes, nil when they do not broadcast.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard x == y || x == 1 || y == 1 else { return nil }
        out[i] = x == 1 ? y : x
    }
    return out
}

/// For each element of `target` (row-major), the flat index of the element of `source` it reads
/// when `source` is broadcast to `target`.
func broadcastIndices(from source: [Int], to target: [Int]) -> [Int] {
    let padded = [Int](repeating: 1, count: target.count - source.count) + source
    var strides = contiguousStrides(padded)
    for axis in padded.indices where padded[axis] == 1 { strides[axis] = 0 }
    var indices: [Int] = []
    indices.reserveCapacity(target.reduce(1, *))
    forEachStridedOffset(shape: target, strides: strides, start: 0) { indices.append($0) }
    return indices
}
