import LoomTensor

/// Patch embeddings of several images stacked row-wise, so a tower's encoder runs them as one batch.
func stackedPatchEmbeddings(
    _ images: [Tensor], channels: Int, side: Int, weight: Tensor, bias: Tensor?,
    prefix: Tensor? = nil, positions: Tensor
) throws -> (hidden: Tensor, tokensPerImage: Int) {
    let d = positions.shape[1], tokens = positions.shape[0]
    var data = [Float]()
    data.reserveCapacity(images.count * tokens * d)
    for pixels in images {
        let image = try squareImage(pixels, channels: channels, side: side)
        if let prefix { data += prefix.data }  // CLIP's class token
        data += Tensor.patchEmbedding(image, weight: weight, bias: bias).data  // (N, D)
    }
    var hidden = Tensor(shape: [images.count, tokens, d], data: data)
    hidden.data.withUnsafeMutableBufferPointer { h in
        positions.data.withUnsafeBufferPointer { p in
            for b in 0..<images.count {
                let row = h.baseAddress! + b * tokens * d
                for i in 0..<(tokens * d) { row[i] += p[i] }
            }
        }
    }
    return (hidden.reshaped([images.count * tokens, d]), tokens)
}
