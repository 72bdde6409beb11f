// AVX2 element-wise kernels; see include/elementwise.h.
#include "CLoomKernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "simd_exp.h"

/// exp(x) for 8 floats with expf's edge cases: below -87.3 gives 0, above 88.72 gives infinity, NaN
/// stays NaN. The core is VectorMath.exp's (Cephes expf): x = n ln2 + r, a degree-7 polynomial in r,
/// 2^n built in the exponent bits.
AVX2 static inline __m256 exp8(__m256 x) {
    const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
    const __m256 overflow = _mm256_cmp_ps(x, _mm256_set1_ps(88.72283f), _CMP_GT_OQ);
    const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    const __m256 c = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(c, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), c);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 e = _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
    e = _mm256_andnot_ps(underflow, e);
    e = _mm256_blendv_ps(e, _mm256_set1_ps(INFINITY), overflow);
    return _mm256_blendv_ps(e, x, nan);
}

/// The last n % 8 floats go through a padded vector (padding `fill`), so every element gets the same
/// arithmetic as the full vectors.
#define FOR_EACH_VECTOR(x, n, fill, body)                               \
    do {                                                                \
        int64_t i_ = 0;                                                 \
        for (; i_ + 8 <= (n); i_ += 8) {                                \
            __m256 v = _mm256_loadu_ps((x) + i_);                       \
            body;                                                       \
            _mm256_storeu_ps((x) + i_, v);                              \
        }                                                               \
        if (i_ < (n)) {                                                 \
            float tail_[8];                                             \
            for (int j_ = 0; j_ < 8; j_++) tail_[j_] = (fill);          \
            memcpy(tail_, (x) + i_, sizeof(float) * (size_t)((n) - i_)); \
            __m256 v = _mm256_loadu_ps(tail_);                          \
            body;                                                       \
            _mm256_storeu_ps(tail_, v);                                 \
            memcpy((x) + i_, tail_, sizeof(float) * (size_t)((n) - i_)); \
        }                                                               \
    } while (0)

AVX2 static void softmax_row_avx2(float *row, int64_t n) {
    __m256 maxima = _mm256_set1_ps(-INFINITY);
    FOR_EACH_VECTOR(row, n, -INFINITY, maxima = _mm256_max_ps(maxima, v));
    float lanes[8];
    _mm256_storeu_ps(lanes, maxima);
    float maximum = lanes[0];
    for (int j = 1; j < 8; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum;
    const __m256 m = _mm256_set1_ps(maximum);
    __m256 sums = _mm256_setzero_ps();
    // Padding exp(-inf - max) is 0 (or NaN for an all -inf row, which is NaN anyway).
    FOR_EACH_VECTOR(row, n, -INFINITY, {
        v = exp8(_mm256_sub_ps(v, m));
        sums = _mm256_add_ps(sums, v);
    });
    _mm256_storeu_ps(lanes, sums);
    const float sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    const __m256 inverse = _mm256_set1_ps(1.0f / sum);
    FOR_EACH_VECTOR(row, n, 0.0f, v = _mm256_mul_ps(v, inverse));
}

AVX2 static void gelu_avx2(float *x, int64_t n, int tanh_form) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    if (tanh_form) {
        // tanh(u) = 1 - 2 / (exp(2u) + 1)
        FOR_EACH_VECTOR(x, n, 0.0f, {
            const __m256 cube = _mm256_mul_ps(_mm256_mul_ps(v, v), v);
            const __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286536f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), cube, v));
            const __m256 th = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(exp8(_mm256_add_ps(u, u)), one)));
            v = _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, th));
        });
    } else {
        FOR_EACH_VECTOR(x, n, 0.0f, v = gelu_erf_avx2(v));
    }
}

AVX2 static void sigmoid_gate_avx2(float *x, int64_t n, float beta) {
    const __m256 one = _mm256_set1_ps(1.0f), minus_beta = _mm256_set1_ps(-beta);
    FOR_EACH_VECTOR(x, n, 0.0f, v = _mm256_div_ps(v, _mm256_add_ps(one, exp8(_mm256_mul_ps(minus_beta, v)))));
}

#define HAVE_AVX2_BODIES 1
#else
#define HAVE_AVX2_BODIES 0
#endif

int loom_softmax_row(float *row, int64_t n) {
#if HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) {
        if (n > 0) softmax_row_avx2(row, n);
        return 1;
    }
#endif
    (void)row; (void)n;
    return 0;
}

int loom_gelu(float *x, int64_t n, int tanh_form) {
#if HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) {
        if (n > 0) gelu_avx2(x, n, tanh_form);
        return 1;
    }
#endif
    (void)x; (void)n; (void)tanh_form;
    return 0;
}

int loom_sigmoid_gate(float *x, int64_t n, float beta) {
#if HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) {
        if (n > 0) sigmoid_gate_avx2(x, n, beta);
        return 1;
    }
#endif
    (void)x; (void)n; (void)beta;
    return 0;
}
