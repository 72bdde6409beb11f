import LoomCheck
/// Decoded audio: mono float samples in [-1, 1] at `sampleRate` Hz.
public struct AudioBuffer: Sendable, Equatable {
    public let sampleRate: Int
    public var samples: [Float]

    public init(sampleRate: Int, samples: [Float]) {
        require(sampleRate > 0, "sample rate must be positive")
        self.sampleRate = sampleRate
        self.samples = samples
    }

    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}
