import ArgumentParser
import LoomTensor

/// `--threads`, shared by every command that computes: sets OpenBLAS's pool and Loom's own parallel loops.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for matrix products and parallel loops (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func apply() {
        if let threads { ComputeThreads.set(threads) }
    }
}
