import CLoomKernels

/// Entry points to the C kernels (`CLoomKernels`) that model code outside LoomTensor needs:
/// AVX2 bodies chosen at run time, portable C elsewhere.
public enum FastKernels {
    /// True when the AVX2/FMA/F16C bodies run (the CPU has them and the portable ones are not forced).
    public static var usesAVX2: Bool { loom_kernels_use_avx2() != 0 }

    /// Runs every kernel's portable C body (true) or restores the automatic choice (false). For
    /// tests that compare both bodies; affects every thread.
    public static func forcePortable(_ portable: Bool) { loom_kernels_force_portable(portable ? 1 : 0) }

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
