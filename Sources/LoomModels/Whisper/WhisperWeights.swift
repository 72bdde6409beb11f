import LoomTensor
import LoomWeights

// Loaded Whisper weights in one layout-independent form, float32 except the decoder's Linear weights
// and token embedding of a float16 CTranslate2 file, which stay half (WhisperMatrix.swift). Both loaders
// (WhisperCTranslate2Weights.swift, WhisperHuggingFaceWeights.swift) fill these; the forward pass reads
// only these. Self-attention Q, K and V are fused into one (3 x width, width) projection as CTranslate2
// stores them, so one GEMM computes all three; the key projection has no bias in openai-whisper, so its
// part of the fused bias is zero. Cross-attention keeps Q apart (it reads the decoder stream) and fuses
// K and V (they read the encoder output, once per window).

/// nn.Linear: weight (out, in), bias (out).
struct WhisperLinear: Sendable {
    let matrix: WhisperMatrix
    let bias: Tensor

    init(weight: Tensor, bias: Tensor) {
        matrix = .float32(weight)
        self.bias = bias
    }

    init(matrix: WhisperMatrix, bias: Tensor) {
        self.matrix = matrix
        self.bias = bias
    }

    /// A kernel-3 Conv1d of `width` filters over `inputs` channels, stored as `name + weight`
    /// (width, inputs, 3) and `name + bias` (the suffixes differ per format).
    init(convolution scope: WeightScope, _ name: String, weight: String, bias: String, width: Int, inputs: Int) throws {
        self.init(weight: try scope.tensor(name + weight, shape: [width, inputs, 3]), bias: try scope.tensor(name + bias, shape: [width]))
    }

    /// The weight as float32 (a widened copy when it is kept as halves).
    var weight: Tensor { matrix.float32 }

    /// Decoder steps (a few rows) stream the weight once (`smallRowProduct`); longer inputs use OpenBLAS.
    func callAsFunction(_ x: Tensor) -> Tensor { matrix.product(x, bias: bias) }
}

/// nn.LayerNorm (eps 1e-5): gamma and beta of shape (width).
struct WhisperLayerNorm: Sendable {
    let gamma: Tensor
    let beta: Tensor

    func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: gamma, bias: beta, eps: 1e-5) }
}

struct WhisperSelfAttentionWeights: Sendable {
    let norm: WhisperLayerNorm
    /// (3 x width, width): rows [0, width) query, [width, 2 width) key, [2 width, 3 width) value.
    let qkv: WhisperLinear
    let out: WhisperLinear
}

struct WhisperCrossAttentionWeights: Sendable {
    let norm: WhisperLayerNorm
    let query: WhisperLinear
    /// (2 x width, width): rows [0, width) key, [width, 2 width) value.
    let keyValue: WhisperLinear
    let out: WhisperLinear
}

struct WhisperMLPWeights: Sendable {
    let norm: WhisperLayerNorm
    let fc1: WhisperLinear
    let fc2: WhisperLinear
}

struct WhisperEncoderLayerWeights: Sendable {
    let selfAttention: WhisperSelfAttentionWeights
    let mlp: WhisperMLPWeights
}

struct WhisperDecoderLayerWeights: Sendable {
    let selfAttention: WhisperSelfAttentionWeights
    let crossAttention: WhisperCrossAttentionWeights
    let mlp: WhisperMLPWeights
}

struct WhisperWeights: Sendable {
    /// (width, melBins, 3) and (width, width, 3), with biases (width).
    let conv1: WhisperLinear
    let conv2: WhisperLinear
    /// Sinusoids (audioContext, width).
    let encoderPositions: Tensor
    let encoderLayers: [WhisperEncoderLayerWeights]
    let encoderNorm: WhisperLayerNorm
    /// (vocabulary, width); the logits are x @ tokenEmbedding^T unless a separate projection is stored.
    let tokenEmbedding: WhisperMatrix
    /// Learned (textContext, width).
    let decoderPositions: Tensor
    let decoderLayers: [WhisperDecoderLayerWeights]
    let decoderNorm: WhisperLayerNorm
    /// (vocabulary, width): the same storage as `tokenEmbedding` when tied.
    let outputProjection: WhisperMatrix
}

/// Concatenates tensors along the first dimension (rows of a Linear weight or a bias vector).
func concatenateRows(_ parts: [Tensor]) -> Tensor {
    var shape = parts[0].shape
    shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
    return Tensor(shape: shape, data: parts.flatMap(\.data))
}
