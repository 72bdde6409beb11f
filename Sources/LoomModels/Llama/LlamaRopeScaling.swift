import Foundation

/// Rotary frequency scaling (`rope_scaling` in config.json, `llama.rope.scaling.*` in GGUF).
/// Formulas follow transformers' `_compute_linear_scaling_rope_parameters` and
/// `_compute_llama3_parameters` (transformers/modeling_rope_utils.py).
public enum LlamaRopeScaling: Codable, Sendable, Equatable {
    /// Positions divided by `factor` (equivalently every frequency).
    case linear(factor: Double)
    /// Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth ramp between.
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositionEmbeddings: Int)

    enum CodingKeys: String, CodingKey {
        case type, ropeType = "rope_type", factor
        case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type) ?? "missing"
        switch type {
        case "linear":
            self = .linear(factor: try c.decode(Double.self, forKey: .factor))
        case "llama3":
            self = .llama3(
                factor: try c.decode(Double.self, forKey: .factor),
                lowFreqFactor: try c.decode(Double.self, forKey: .lowFreqFactor),
                highFreqFactor: try c.decode(Double.self, forKey: .highFreqFactor),
                originalMaxPositionEmbeddings: try c.decode(Int.self, forKey: .originalMaxPositionEmbeddings))
        default:
            throw LlamaError(file: "config.json", .unsupportedRopeScaling(type))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .linear(let factor):
            try c.encode("linear", forKey: .ropeType)
            try c.encode(factor, forKey: .factor)
        case .llama3(let factor, let low, let high, let original):
            try c.encode("llama3", forKey: .ropeType)
            try c.encode(factor, forKey: .factor)
            try c.encode(low, forKey: .lowFreqFactor)
            try c.encode(high, forKey: .highFreqFactor)
            try c.encode(original, forKey: .originalMaxPositionEmbeddings)
        }
    }

    func validate(file: String) throws {
        switch self {
        case .linear(let factor):
            guard factor > 0, factor.isFinite else { throw LlamaError(file: file, .invalidConfig("rope scaling factor is \(factor)")) }
        case .llama3(let factor, let low, let high, let original):
            guard factor > 0, low > 0, high > low, original > 0 else {
                throw LlamaError(file: file, .invalidConfig("llama3 rope scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor, original_max_position_embeddings > 0; got \(factor), \(low), \(high), \(original)"))
            }
        }
    }

    /// Applies the scaling to the unscaled inverse frequencies theta^(-2i/d).
    func scale(_ inverseFrequencies: [Double]) -> [Double] {
        switch self {
        case .linear(let factor):
            return inverseFrequencies.map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            let lowWavelength = Double(original) / low
            let highWavelength = Double(original) / high
            return inverseFrequencies.map { frequency in
                let wavelength = 2 * Double.pi / frequency
                if wavelength < highWavelength { return frequency }
                if wavelength > lowWavelength { return frequency / factor }
                let smooth = (Double(original) / wavelength - low) / (high - low)
                return (1 - smooth) * frequency / factor + smooth * frequency
            }
        }
    }
}
