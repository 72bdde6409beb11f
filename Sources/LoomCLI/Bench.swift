import ArgumentParser

/// Timing entry points for Benchmarks/ scripts; each prints one JSON line with its measurements.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time Loom's components (used by Benchmarks/).", shouldDisplay: false,
        subcommands: [
            BenchLogMel.self, BenchDecode.self, BenchEmbed.self, BenchIndex.self, BenchCaption.self, BenchVision.self, BenchQueue.self,
        ])
}
