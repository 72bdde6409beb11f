import LoomTensor
import LoomWeights

/// Sizes of a pre-LN transformer encoder, shared by the CLIP and SigLIP towers.
public struct EncoderShape: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var activation: HiddenActivation
    public var layerNormEps: Float

    public init(hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, activation: HiddenActivation, layerNormEps: Float) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.activation = activation
        self.layerNormEps = layerNormEps
    }
}

/// CLIPEncoderLayer / SiglipEncoderLayer: x + attn(ln1(x)), then h + mlp(ln2(h)).
public struct EncoderLayer: Sendable {
    public let layerNorm1: LayerNormLayer
    public let attention: SelfAttention
    public let layerNorm2: LayerNormLayer
    public let mlp: FeedForward

    public init(_ scope: WeightScope, shape: EncoderShape) throws {
        typealias Names = ViTWeightNames.Encoder
        layerNorm1 = try LayerNormLayer(scope, Names.layerNorm1, dim: shape.hiddenSize, eps: shape.layerNormEps)
        attention = try SelfAttention(scope.scope(Names.selfAttention), hidden: shape.hiddenSize, heads: shape.heads)
        layerNorm2 = try LayerNormLayer(scope, Names.layerNorm2, dim: shape.hiddenSize, eps: shape.layerNormEps)
        mlp = try FeedForward(
            scope.scope(Names.mlp), hidden: shape.hiddenSize, intermediate: shape.intermediateSize, activation: shape.activation)
    }

    /// (B*T, D) -> (B*T, D), B sequences of `sequenceLength` rows (default: one sequence).
    public func callAsFunction(_ x: Tensor, causal: Bool, sequenceLength: Int? = nil) -> Tensor {
        var h = x
        h.add(attention(layerNorm1(x), causal: causal, sequenceLength: sequenceLength))
        h.add(mlp(layerNorm2(h)))
        return h
    }
}

/// CLIPEncoder / SiglipEncoder: `encoder.layers.N` run in order.
public struct TransformerEncoder: Sendable {
    public let layers: [EncoderLayer]

    /// Reads `layers.0` ... `layers.(n-1)` under `scope` (the `encoder` scope of a tower).
    public init(_ scope: WeightScope, shape: EncoderShape) throws {
        layers = try WeightScope.layers(shape.layers) { try EncoderLayer(scope.scope(ViTWeightNames.Encoder.layers, $0), shape: shape) }
    }

    /// Rows one pass through the layers covers at most (whole sequences; a longer sequence runs alone).
    /// Batching short sequences (CLIP: 50 tokens) makes the weight products efficient; past ~2K rows
    /// nothing more is gained, and every activation of a pass (up to rows x intermediate floats) falls
    /// out of the caches and out of malloc's reusable heap (glibc maps buffers over 32 MB afresh, so
    /// each one is page-faulted in): SigLIP at 8 x 1024 tokens was 30% slower per image than one by one.
    public static let maximumRowsPerPass = 2048

    /// (B*T, D) -> (B*T, D): B sequences of `sequenceLength` rows each (default: one sequence) run
    /// together up to `maximumRowsPerPass` rows, so every weight product covers many rows. Sequences
    /// never interact, so the split does not change any result.
    public func callAsFunction(_ x: Tensor, causal: Bool = false, sequenceLength: Int? = nil) -> Tensor {
        let rows = x.shape[0]
        let length = sequenceLength ?? rows
        let perPass = max(1, Self.maximumRowsPerPass / max(length, 1)) * length
        guard length > 0, rows > perPass, rows % length == 0 else { return runLayers(x, causal: causal, sequenceLength: sequenceLength) }
        let width = x.count / rows
        var out = [Float]()
        out.reserveCapacity(x.count)
        for start in stride(from: 0, to: rows, by: perPass) {
            let end = min(rows, start + perPass)
            let part = Tensor(shape: [end - start, width], data: Array(x.data[(start * width)..<(end * width)]))
            out += runLayers(part, causal: causal, sequenceLength: length).data
        }
        return Tensor(shape: x.shape, data: out)
    }

    private func runLayers(_ x: Tensor, causal: Bool, sequenceLength: Int?) -> Tensor {
        layers.reduce(x) { h, layer in layer(h, causal: causal, sequenceLength: sequenceLength) }
    }
}
