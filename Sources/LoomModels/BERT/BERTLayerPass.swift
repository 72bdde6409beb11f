import CLoomKernels
import Foundation
import LoomTensor

// One post-LN BERT layer (BertLayer in transformers/models/bert/modeling_bert.py) over packed token
// rows, in buffers allocated once per encoder call: each matrix product writes without its bias
// (beta 0), and the bias is applied in the pass that reads the product anyway: q/k/v biases inside
// attention, the intermediate bias with GELU, the output biases with the residual add and LayerNorm.

/// Activation buffers for `tokens` rows, reused by every layer of one `hiddenStates` call.
struct BERTWorkspace {
    let tokens: Int
    var qkv: [Float]  // (tokens, 3H)
    var context: [Float]  // (tokens, H)
    var projected: [Float]  // (tokens, H): attention output and FFN output products
    var intermediate: [Float]  // (tokens, I)

    init(tokens: Int, config c: BERTConfig) {
        self.tokens = tokens
        qkv = [Float](repeating: 0, count: tokens * 3 * c.hiddenSize)
        context = [Float](repeating: 0, count: tokens * c.hiddenSize)
        projected = [Float](repeating: 0, count: tokens * c.hiddenSize)
        intermediate = [Float](repeating: 0, count: tokens * c.intermediateSize)
    }
}

enum BERTLayerPass {
    /// Rows per parallel chunk of the elementwise passes.
    static func rowsPerChunk(width: Int) -> Int { max(1, (1 << 14) / max(width, 1)) }

    /// x (tokens, H) <- layer(x), in place.
    static func run(_ layer: BERTLayerWeights, config c: BERTConfig, x: inout [Float], ranges: [Range<Int>],
                    workspace w: inout BERTWorkspace) {
        let tokens = w.tokens, h = c.hiddenSize, inner = c.intermediateSize
        let eps = c.layerNormEps
        x.withUnsafeMutableBufferPointer { xBuffer in
            let x = xBuffer.baseAddress!
            w.qkv.withUnsafeMutableBufferPointer { qkv in
                product(x, layer.qkvWeight, rows: tokens, into: qkv.baseAddress!)
                layer.qkvBias.data.withUnsafeBufferPointer { bias in
                    w.context.withUnsafeMutableBufferPointer { context in
                        BERTAttention.context(qkv: qkv.baseAddress!, qkvBias: bias.baseAddress!, sequences: ranges,
                                              heads: c.headCount, headDim: c.headDim, into: context.baseAddress!)
                    }
                }
            }
            w.projected.withUnsafeMutableBufferPointer { projected in
                w.context.withUnsafeBufferPointer { context in
                    product(context.baseAddress!, layer.attentionOutWeight, rows: tokens, into: projected.baseAddress!)
                }
                addNormalize(projected.baseAddress!, bias: layer.attentionOutBias, residual: x, rows: tokens, dim: h,
                             weight: layer.attentionNormWeight, normBias: layer.attentionNormBias, eps: eps)
                w.intermediate.withUnsafeMutableBufferPointer { intermediate in
                    let y = intermediate.baseAddress!
                    product(x, layer.intermediateWeight, rows: tokens, into: y)
                    biasGELU(y, bias: layer.intermediateBias, rows: tokens, cols: inner, approximation: c.gelu)
                    product(y, layer.outputWeight, rows: tokens, into: projected.baseAddress!)
                }
                addNormalize(projected.baseAddress!, bias: layer.outputBias, residual: x, rows: tokens, dim: h,
                             weight: layer.outputNormWeight, normBias: layer.outputNormBias, eps: eps)
            }
        }
    }

    /// out (rows, O) = x (rows, I) weight (O, I)^T, no bias.
    static func product(_ x: UnsafePointer<Float>, _ weight: Tensor, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        weight.data.withUnsafeBufferPointer { wp in
            BLAS.sgemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
                       b: wp.baseAddress!, ldb: inFeatures, beta: 0, c: out, ldc: outFeatures)
        }
    }

    /// residual <- LayerNorm(product + bias + residual) * weight + normBias, row by row.
    static func addNormalize(_ product: UnsafePointer<Float>, bias: Tensor, residual: UnsafeMutablePointer<Float>, rows: Int,
                             dim: Int, weight: Tensor, normBias: Tensor, eps: Float) {
        bias.data.withUnsafeBufferPointer { b in
            weight.data.withUnsafeBufferPointer { g in
                normBias.data.withUnsafeBufferPointer { beta in
                    ComputeThreads.forEachChunk(rows, minimumPerChunk: rowsPerChunk(width: dim)) { range in
                        let offset = range.lowerBound * dim
                        loom_encoder_bias_residual_layer_norm(
                            product + offset, b.baseAddress!, residual + offset, g.baseAddress!, beta.baseAddress!,
                            Int64(range.count), Int64(dim), eps, residual + offset)
                    }
                }
            }
        }
    }

    /// y <- GELU(y + bias), row by row.
    static func biasGELU(_ y: UnsafeMutablePointer<Float>, bias: Tensor, rows: Int, cols: Int, approximation: GELUApproximation) {
        bias.data.withUnsafeBufferPointer { b in
            if approximation == .none {
                BERTGELU.apply(y, bias: b.baseAddress!, rows: rows, cols: cols)
            } else {
                ComputeThreads.forEachChunk(rows, minimumPerChunk: rowsPerChunk(width: cols)) { range in
                    for r in range { for i in 0..<cols { y[r * cols + i] += b[i] } }
                }
                Kernels.gelu(y, count: rows * cols, approximation: approximation)
            }
        }
    }
}
