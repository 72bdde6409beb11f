import CLoomKernels
import Dispatch

/// Entry points to the C kernels (`CLoomKernels`) that model code outside LoomTensor needs:
/// AVX2 bodies chosen at run time, portable C elsewhere.
public enum FastKernels {
    /// True when the AVX2/FMA/F16C bodies run (the CPU has them and the portable ones are not forced).
    public static var usesAVX2: Bool { loom_kernels_use_avx2() != 0 }

    /// True when the CPU has AVX2, FMA and F16C (whether or not a test forces the portable bodies).
    public static var cpuHasAVX2: Bool { loom_kernels_cpu_has_avx2() != 0 }

    /// Makes every kernel run its portable C body (`portable`) or the automatic choice, for tests
    /// that compare both bodies, until the returned choice's `end()`. The switch is process-wide, so
    /// one choice is held at a time: a second caller waits. Without that, parallel suites would reset
    /// it under each other and a test would compare a body with itself.
    public static func choose(portable: Bool) -> KernelBodyChoice {
        KernelBodyChoice.held.wait()
        loom_kernels_force_portable(portable ? 1 : 0)
        return KernelBodyChoice()
    }

    /// gate[i] = SiLU(gate[i]) * up[i] for i < count (the Llama MLP's SwiGLU), relative error < 1e-6
    /// against gate / (1 + expf(-gate)) * up.
    @inline(__always)
    public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        loom_swiglu(gate, up, Int64(count))
    }

    /// One attention head for one query: out (d) = sum_j softmax_j(scale * q . k_j) v_j over the
    /// `count` positions of `keys` and `values` (each (count, d), row-major). `scores` holds
    /// `count` floats of scratch.
    @inline(__always)
    public static func attend(query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                              count: Int, headDim: Int, scale: Float,
                              scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        loom_attend(query, keys, values, Int64(count), Int64(headDim), scale, scores, out)
    }

    /// `group` consecutive query heads (query and out: group * headDim floats) sharing one kv
    /// head: `attend` for each, reading the keys and values once for all. `scores` holds
    /// group * count floats.
    @inline(__always)
    public static func attendGroup(query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                   count: Int, headDim: Int, group: Int, scale: Float,
                                   scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        loom_attend_group(query, keys, values, Int64(count), Int64(headDim), Int64(group), scale, scores, out)
    }
}

/// A held choice of kernel bodies (`FastKernels.choose(portable:)`); `end()` restores the automatic
/// choice and lets the next caller choose.
public struct KernelBodyChoice {
    fileprivate static let held = DispatchSemaphore(value: 1)

    /// Call once.
    public func end() {
        loom_kernels_force_portable(0)
        Self.held.signal()
    }
}
