import CLoomBuildInfo
import LoomTensor

/// What `loom --version` prints: the version, the commit built from, and the CPU code paths in use,
/// so a bug report says which kernels ran.
enum BuildInfo {
    static let version = "0.2.0"

    static var description: String {
        let kernels = FastKernels.usesAVX2 ? "AVX2, FMA, F16C" : "portable C (this CPU lacks AVX2, FMA or F16C)"
        return """
            loom \(version) (commit \(String(cString: loom_build_commit())))
            kernels: \(kernels)
            BLAS: \(ComputeThreads.blasDescription)
            threads: \(ComputeThreads.count) (--threads to change)
            """
    }
}
