// One query head's attention over cached keys and values (the Llama decoder's inner loop):
// scores q.k_j * scale, softmax, weighted sum of v_j. AVX2 body for head sizes that are a multiple
// of 8, portable C otherwise. Follows the math of transformers' eager attention
// (transformers/models/llama/modeling_llama.py, `eager_attention_forward`).
#include "CLoomKernels.h"

#include <math.h>

static void attend_portable(const float *q, const float *keys, const float *values, int64_t n, int64_t d,
                            float scale, float *scores, float *out) {
    float maximum = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        float s = 0;
        for (int64_t i = 0; i < d; i++) s += q[i] * keys[j * d + i];
        scores[j] = s * scale;
        maximum = fmaxf(maximum, scores[j]);
    }
    float total = 0;
    for (int64_t j = 0; j < n; j++) {
        scores[j] = expf(scores[j] - maximum);
        total += scores[j];
    }
    const float inverse = 1.0f / total;
    for (int64_t i = 0; i < d; i++) out[i] = 0;
    for (int64_t j = 0; j < n; j++) {
        const float w = scores[j] * inverse;
        for (int64_t i = 0; i < d; i++) out[i] += w * values[j * d + i];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "simd_exp.h"

/// d a multiple of 8. Four keys at a time keep four independent multiply-add chains in flight.
AVX2 static void attend_avx2(const float *q, const float *keys, const float *values, int64_t n, int64_t d,
                             float scale, float *scores, float *out) {
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const float *k = keys + j * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (int64_t i = 0; i < d; i += 8) {
            const __m256 qi = _mm256_loadu_ps(q + i);
            a0 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + i), a0);
            a1 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + d + i), a1);
            a2 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + 2 * d + i), a2);
            a3 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + 3 * d + i), a3);
        }
        scores[j] = hsum8(a0) * scale;
        scores[j + 1] = hsum8(a1) * scale;
        scores[j + 2] = hsum8(a2) * scale;
        scores[j + 3] = hsum8(a3) * scale;
    }
    for (; j < n; j++) {
        __m256 a = _mm256_setzero_ps();
        for (int64_t i = 0; i < d; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(keys + j * d + i), a);
        scores[j] = hsum8(a) * scale;
    }
    const float inverse = 1.0f / exp_shifted_sum_avx2(scores, n, max_avx2(scores, n));

    // Output in slices of 64 features held in registers while every position passes.
    for (int64_t i0 = 0; i0 < d; i0 += 64) {
        const int64_t width = d - i0 < 64 ? d - i0 : 64;
        __m256 o[8];
        for (int c = 0; c < 8; c++) o[c] = _mm256_setzero_ps();
        for (j = 0; j < n; j++) {
            const __m256 w = _mm256_set1_ps(scores[j] * inverse);
            const float *v = values + j * d + i0;
            for (int c = 0; c < width / 8; c++) o[c] = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 8 * c), o[c]);
        }
        for (int c = 0; c < width / 8; c++) _mm256_storeu_ps(out + i0 + 8 * c, o[c]);
    }
}

/// `group` query heads (contiguous, d each) sharing one kv head: every key and value row is read
/// once for all of them. d a multiple of 16, group <= 8; scores holds group * n floats.
AVX2 static void attend_group_avx2(const float *q, const float *keys, const float *values, int64_t n, int64_t d,
                                   int64_t group, float scale, float *scores, float *out) {
    for (int64_t j = 0; j < n; j++) {
        __m256 acc[8];
        for (int g = 0; g < group; g++) acc[g] = _mm256_setzero_ps();
        const float *k = keys + j * d;
        for (int64_t i = 0; i < d; i += 8) {
            const __m256 ki = _mm256_loadu_ps(k + i);
            for (int g = 0; g < group; g++) acc[g] = _mm256_fmadd_ps(_mm256_loadu_ps(q + g * d + i), ki, acc[g]);
        }
        for (int g = 0; g < group; g++) scores[g * n + j] = hsum8(acc[g]) * scale;
    }
    float inverse[8];
    for (int g = 0; g < group; g++) {
        float *s = scores + g * n;
        inverse[g] = 1.0f / exp_shifted_sum_avx2(s, n, max_avx2(s, n));
    }
    // 16 output features of every head at a time (2 * group accumulators), all positions.
    for (int64_t i = 0; i < d; i += 16) {
        __m256 lo[8], hi[8];
        for (int g = 0; g < group; g++) { lo[g] = _mm256_setzero_ps(); hi[g] = _mm256_setzero_ps(); }
        for (int64_t j = 0; j < n; j++) {
            const __m256 v0 = _mm256_loadu_ps(values + j * d + i), v1 = _mm256_loadu_ps(values + j * d + i + 8);
            for (int g = 0; g < group; g++) {
                const __m256 w = _mm256_set1_ps(scores[g * n + j]);
                lo[g] = _mm256_fmadd_ps(w, v0, lo[g]);
                hi[g] = _mm256_fmadd_ps(w, v1, hi[g]);
            }
        }
        for (int g = 0; g < group; g++) {
            const __m256 scale_g = _mm256_set1_ps(inverse[g]);
            _mm256_storeu_ps(out + g * d + i, _mm256_mul_ps(lo[g], scale_g));
            _mm256_storeu_ps(out + g * d + i + 8, _mm256_mul_ps(hi[g], scale_g));
        }
    }
}
#endif

void loom_attend(const float *q, const float *keys, const float *values, int64_t n, int64_t d,
                 float scale, float *scores, float *out) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (d % 8 == 0 && loom_kernels_use_avx2()) { attend_avx2(q, keys, values, n, d, scale, scores, out); return; }
#endif
    attend_portable(q, keys, values, n, d, scale, scores, out);
}

void loom_attend_group(const float *q, const float *keys, const float *values, int64_t n, int64_t d,
                       int64_t group, float scale, float *scores, float *out) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (d % 16 == 0 && group <= 8 && loom_kernels_use_avx2()) {
        attend_group_avx2(q, keys, values, n, d, group, scale, scores, out);
        return;
    }
#endif
    for (int64_t g = 0; g < group; g++) loom_attend(q + g * d, keys, values, n, d, scale, scores, out + g * d);
}
