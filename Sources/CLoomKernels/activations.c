// SwiGLU (SiLU(gate) * up) for the Llama MLP: a vectorized exp on AVX2 CPUs, libm's expf otherwise.
#include "CLoomKernels.h"

#include <math.h>

static void swiglu_portable(float *gate, const float *up, int64_t n) {
    for (int64_t i = 0; i < n; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "simd_exp.h"

AVX2 static void swiglu_avx2(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), g));
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    swiglu_portable(gate + i, up + i, n - i);
}
#endif

void loom_swiglu(float *gate, const float *up, int64_t n) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (loom_kernels_use_avx2()) { swiglu_avx2(gate, up, n); return; }
#endif
    swiglu_portable(gate, up, n);
}
