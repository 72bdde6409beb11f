import LoomCheck
// Convolutions as im2col + GEMM, matching torch.nn.functional.conv1d / conv2d (cross-correlation,
// zero padding, no dilation, groups = 1). Whisper's stem is two conv1d (kernel 3, padding 1,
// stride 1 then 2); a ViT patch embedding is conv2d with kernel = stride = patch size.
// https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html

extension Tensor {
    /// 1-D convolution: input (Cin, L) or (B, Cin, L), weight (Cout, Cin, K), bias (Cout)
    /// -> (Cout, Lout) or (B, Cout, Lout), with Lout = (L + 2 padding - K) / stride + 1.
    ///
    /// Stops the program when the shapes do not fit or the padded input is shorter than the kernel.
    public static func conv1d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0
    ) -> Tensor {
        // A 1-D convolution is a 2-D one over a height-1 image.
        require(input.rank == 2 || input.rank == 3, "conv1d input must be (Cin, L) or (B, Cin, L), got \(input.shape)")
        require(weight.rank == 3, "conv1d weight must be (Cout, Cin, K), got \(weight.shape)")
        var shape2d = input.shape
        shape2d.insert(1, at: shape2d.count - 1)
        let w = weight.shape
        let out = conv2d(
            input.reshaped(shape2d), weight: weight.reshaped([w[0], w[1], 1, w[2]]), bias: bias,
            stride: (1, stride), padding: (0, padding))
        var outShape = out.shape
        outShape.remove(at: outShape.count - 2)
        return out.reshaped(outShape)
    }

    /// 2-D convolution: input (Cin, H, W) or (B, Cin, H, W), weight (Cout, Cin, KH, KW), bias (Cout)
    /// -> (Cout, Hout, Wout) or (B, Cout, Hout, Wout), Hout = (H + 2 padding.h - KH) / stride.h + 1.
    ///
    /// Stops the program when the shapes do not fit or the padded input is smaller than the kernel.
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: (h: Int, w: Int) = (1, 1), padding: (h: Int, w: Int) = (0, 0)
    ) -> Tensor {
        let geometry = ConvGeometry(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
        let g = geometry
        let batched = input.rank == 4
        let outShape = batched ? [g.batch, g.outChannels, g.outHeight, g.outWidth] : [g.outChannels, g.outHeight, g.outWidth]
        var out = Tensor(zeros: outShape)
        let patchLength = g.inChannels * g.kernelHeight * g.kernelWidth  // Cin*KH*KW
        let positions = g.outHeight * g.outWidth  // Hout*Wout
        if patchLength == 0 || positions == 0 || g.outChannels == 0 { return out }
        var columns = [Float](repeating: 0, count: patchLength * positions)  // (Cin*KH*KW, Hout*Wout)
        input.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { op in
                    columns.withUnsafeMutableBufferPointer { cp in
                        for b in 0..<g.batch {
                            let image = xp.baseAddress! + b * g.inChannels * g.height * g.width
                            let result = op.baseAddress! + b * g.outChannels * positions  // (Cout, Hout*Wout)
                            g.im2col(image, into: cp.baseAddress!)
                            if let bias {
                                bias.data.withUnsafeBufferPointer { bp in
                                    for o in 0..<g.outChannels {
                                        for p in 0..<positions { result[o * positions + p] = bp[o] }
                                    }
                                }
                            }
                            // (Cout, Cin*KH*KW) x (Cin*KH*KW, Hout*Wout) -> (Cout, Hout*Wout)
                            BLAS.sgemm(
                                m: g.outChannels, n: positions, k: patchLength,
                                a: wp.baseAddress!, lda: patchLength, b: cp.baseAddress!, ldb: positions,
                                beta: bias == nil ? 0 : 1, c: result, ldc: positions)
                        }
                    }
                }
            }
        }
        return out
    }

    /// ViT patch embedding: image (Cin, H, W), weight (D, Cin, P, P), bias (D) -> (patches, D), patches
    /// in row-major order over the (H / P, W / P) grid; the same values as conv2d with kernel = stride
    /// = P, flattened and transposed, as `embeddings.flatten(2).transpose(1, 2)` in transformers.
    ///
    /// Stops the program when the shapes do not fit or H, W are not multiples of P.
    public static func patchEmbedding(_ image: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        require(image.rank == 3, "patchEmbedding image must be (Cin, H, W), got \(image.shape)")
        require(weight.rank == 4 && weight.shape[2] == weight.shape[3], "patchEmbedding weight must be (D, Cin, P, P), got \(weight.shape)")
        let patch = weight.shape[2]
        require(
            patch > 0 && image.shape[1] % patch == 0 && image.shape[2] % patch == 0,
            "patchEmbedding image \(image.shape) is not a whole number of \(patch)x\(patch) patches")
        let g = ConvGeometry(input: image, weight: weight, bias: bias, stride: (patch, patch), padding: (0, 0))
        let patchLength = g.inChannels * patch * patch
        let positions = g.outHeight * g.outWidth
        let dim = g.outChannels
        var out = Tensor(zeros: [positions, dim])
        if patchLength == 0 || positions == 0 || dim == 0 { return out }
        var columns = [Float](repeating: 0, count: patchLength * positions)  // (Cin*P*P, patches)
        image.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { op in
                    columns.withUnsafeMutableBufferPointer { cp in
                        g.im2col(xp.baseAddress!, into: cp.baseAddress!)
                        if let bias {
                            bias.data.withUnsafeBufferPointer { bp in
                                for p in 0..<positions { for d in 0..<dim { op[p * dim + d] = bp[d] } }
                            }
                        }
                        // (Cin*P*P, patches)^T x (D, Cin*P*P)^T -> (patches, D)
                        BLAS.sgemm(
                            transposeA: true, transposeB: true, m: positions, n: dim, k: patchLength,
                            a: cp.baseAddress!, lda: positions, b: wp.baseAddress!, ldb: patchLength,
                            beta: bias == nil ? 0 : 1, c: op.baseAddress!, ldc: dim)
                    }
                }
            }
        }
        return out
    }
}

/// Sizes of one conv2d call, checked once; `im2col` lays out the input patches for the GEMM.
struct ConvGeometry {
    let batch, inChannels, height, width: Int
    let outChannels, kernelHeight, kernelWidth: Int
    let strideH, strideW, padH, padW: Int
    let outHeight, outWidth: Int

    init(input: Tensor, weight: Tensor, bias: Tensor?, stride: (h: Int, w: Int), padding: (h: Int, w: Int)) {
        require(input.rank == 3 || input.rank == 4, "conv2d input must be (Cin, H, W) or (B, Cin, H, W), got \(input.shape)")
        require(weight.rank == 4, "conv2d weight must be (Cout, Cin, KH, KW), got \(weight.shape)")
        let s = input.shape.suffix(3).map { $0 }
        batch = input.rank == 4 ? input.shape[0] : 1
        (inChannels, height, width) = (s[0], s[1], s[2])
        (outChannels, kernelHeight, kernelWidth) = (weight.shape[0], weight.shape[2], weight.shape[3])
        require(weight.shape[1] == inChannels, "conv weight \(weight.shape) expects \(weight.shape[1]) input channels, input \(input.shape) has \(inChannels)")
        if let bias { require(bias.shape == [outChannels], "conv bias must be [\(outChannels)], got \(bias.shape)") }
        require(stride.h > 0 && stride.w > 0, "conv stride must be positive, got \(stride)")
        require(padding.h >= 0 && padding.w >= 0, "conv padding must not be negative, got \(padding)")
        (strideH, strideW, padH, padW) = (stride.h, stride.w, padding.h, padding.w)
        require(
            kernelHeight > 0 && kernelWidth > 0 && height + 2 * padH >= kernelHeight && width + 2 * padW >= kernelWidth,
            "conv kernel \(kernelHeight)x\(kernelWidth) does not fit the padded input \(input.shape) (padding \(padding))")
        outHeight = (height + 2 * padH - kernelHeight) / strideH + 1
        outWidth = (width + 2 * padW - kernelWidth) / strideW + 1
    }

    /// Writes columns (Cin*KH*KW, Hout*Wout) for one image (Cin, H, W); padding reads as zero.
    func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let positions = outHeight * outWidth
        for c in 0..<inChannels {
            let plane = image + c * height * width  // (H, W)
            for kh in 0..<kernelHeight {
                for kw in 0..<kernelWidth {
                    let row = columns + ((c * kernelHeight + kh) * kernelWidth + kw) * positions  // (Hout*Wout)
                    for oh in 0..<outHeight {
                        let ih = oh * strideH - padH + kh
                        let outRow = row + oh * outWidth
                        if ih < 0 || ih >= height {
                            for ow in 0..<outWidth { outRow[ow] = 0 }
                            continue
                        }
                        let inRow = plane + ih * width
                        for ow in 0..<outWidth {
                            let iw = ow * strideW - padW + kw
                            outRow[ow] = (iw >= 0 && iw < width) ? inRow[iw] : 0
                        }
                    }
                }
            }
        }
    }
}
