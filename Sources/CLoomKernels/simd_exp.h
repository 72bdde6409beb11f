// A vectorized exp for the AVX2 bodies of CLoomKernels (internal header, x86-64 only).
#ifndef CLOOM_SIMD_EXP_H
#define CLOOM_SIMD_EXP_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

/// exp(x) for 8 floats: x = n ln2 + r with |r| <= ln2 / 2, e^r by its Taylor series to r^7
/// (relative error < 2e-7 plus rounding), 2^n built in the exponent bits. Inputs are clamped to
/// [-87, 88], where e^x is a normal float; SiLU only needs e^-x to saturate towards 0 or inf.
AVX2 static inline __m256 exp_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // ln 2 split in a part exact in float (few mantissa bits) and the rest.
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/// The sum of the 8 lanes (in a fixed order: halves, then pairs, then the last two).
AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The largest of n floats (-infinity for none): 8-lane maxima, then the lanes, then the tail.
AVX2 static inline float max_avx2(const float *s, int64_t n) {
    __m256 m8 = _mm256_set1_ps(-INFINITY);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(s + j));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float maximum = _mm_cvtss_f32(m);
    for (; j < n; j++) maximum = s[j] > maximum ? s[j] : maximum;
    return maximum;
}

/// s[j] = exp(s[j] - maximum) in place for j < n; returns their sum (8-lane partial sums, then the
/// tail through expf). The unnormalized softmax of attention scores.
AVX2 static inline float exp_shifted_sum_avx2(float *s, int64_t n, float maximum) {
    const __m256 top = _mm256_set1_ps(maximum);
    __m256 sums = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(s + j), top));
        _mm256_storeu_ps(s + j, e);
        sums = _mm256_add_ps(sums, e);
    }
    float total = hsum8(sums);
    for (; j < n; j++) {
        s[j] = expf(s[j] - maximum);
        total += s[j];
    }
    return total;
}

/// erf by Abramowitz and Stegun 7.1.26 (absolute error < 1.5e-7), the formula of VectorMath.erf
/// and of PyTorch-matching GELU here; NaN stays NaN.
AVX2 static inline __m256 erf_avx2(__m256 x) {
    const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
    const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(a, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a)));
    const __m256 y = _mm256_fnmadd_ps(_mm256_mul_ps(p, t), e, _mm256_set1_ps(1.0f));
    return _mm256_xor_ps(y, sign);  // -y for negative x
}

/// GELU, exact (erf) form: 0.5 v (1 + erf(v / sqrt 2)).
AVX2 static inline __m256 gelu_erf_avx2(__m256 v) {
    const __m256 e = erf_avx2(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

#endif
