import LoomTensor
import LoomWeights

/// Idefics3Connector (transformers/models/idefics3/modeling_idefics3.py): pixel shuffle, which folds each
/// scale x scale square of patch states into one token of scale^2 times the width, then the bias-free
/// linear `modality_projection.proj` into the text model's width.
public struct Idefics3Connector: Sendable {
    public let scaleFactor: Int
    let projection: LinearLayer

    init(_ scope: WeightScope, visionHidden: Int, textHidden: Int, scaleFactor: Int) throws {
        self.scaleFactor = scaleFactor
        projection = try LinearLayer(
            scope, ViTWeightNames.Idefics3.projection, in: visionHidden * scaleFactor * scaleFactor, out: textHidden, bias: false)
    }

    /// `Idefics3Connector.pixel_shuffle` on one tile's patch states (side * side, D) -> (side^2 / s^2, D * s^2):
    /// output token (i, j) is, for r in 0..<s then c in 0..<s, the state of patch (i*s + r, j*s + c).
    /// (The torch code reaches this order through view / permute / reshape; the index form is the same map.)
    public static func pixelShuffle(_ states: Tensor, scaleFactor s: Int) -> Tensor {
        let seq = states.shape[0], d = states.shape[1]
        var side = Int(Double(seq).squareRoot())
        while side * side > seq { side -= 1 }
        // The config check (patches per side divisible by scale_factor) makes other shapes programmer errors.
        guard side * side == seq, side % s == 0 else {
            fatalError("Idefics3Connector: \(seq) patch states are not a square grid divisible by scale factor \(s)")
        }
        let outSide = side / s, width = d * s * s
        var out = Tensor(zeros: [outSide * outSide, width])
        out.data.withUnsafeMutableBufferPointer { o in
            states.data.withUnsafeBufferPointer { x in
                for i in 0..<outSide {
                    for j in 0..<outSide {
                        let token = o.baseAddress! + (i * outSide + j) * width
                        for r in 0..<s {
                            for c in 0..<s {
                                let patch = (i * s + r) * side + (j * s + c)
                                (token + (r * s + c) * d).update(from: x.baseAddress! + patch * d, count: d)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Pixel shuffle then projection: (patches, D_vision) -> (patches / s^2, D_text).
    public func callAsFunction(_ states: Tensor) -> Tensor {
        projection(Self.pixelShuffle(states, scaleFactor: scaleFactor))
    }

    /// Several tiles' patch states, each (patches, D_vision), shuffled into one stack and projected by a
    /// single matrix product (one weight pass instead of one per tile): (tiles * patches / s^2, D_text),
    /// tile after tile. Same values as `callAsFunction` on each tile.
    public func callAsFunction(tiles: [Tensor]) -> Tensor {
        guard let first = tiles.first else { return Tensor(zeros: [0, projection.outFeatures]) }
        if tiles.count == 1 { return self(first) }
        let shuffled = tiles.map { Self.pixelShuffle($0, scaleFactor: scaleFactor) }
        let rows = shuffled[0].shape[0], width = shuffled[0].shape[1]
        var stacked = [Float]()
        stacked.reserveCapacity(tiles.count * rows * width)
        for tile in shuffled { stacked += tile.data }
        return projection(Tensor(shape: [tiles.count * rows, width], data: stacked))
    }
}
