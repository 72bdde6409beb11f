// Attention of a few queries over many fixed keys (see few_rows.h): Whisper's decoder
// cross-attention, where every beam step reads the same 1500 encoder keys per head. The keys are
// packed once per window into panels of 16 keys stored feature by feature, so scoring is a small
// register-blocked matrix product (a query block's scores for 16 keys stay in registers while the
// panel streams through contiguously) instead of one 64-float dot product and horizontal sum per
// key. The math is openai-whisper's `qkv_attention` (whisper/model.py): softmax(q k^T * scale) v.
#include "CLoomKernels.h"
#include "few_rows.h"

#include <math.h>

int64_t loom_packed_keys_count(int64_t n, int64_t d) {
    return (n + LOOM_KEY_PANEL - 1) / LOOM_KEY_PANEL * LOOM_KEY_PANEL * d;
}

void loom_pack_keys(const float *k, int64_t ldk, int64_t n, int64_t d, float *packed) {
    const int64_t panels = (n + LOOM_KEY_PANEL - 1) / LOOM_KEY_PANEL;
    for (int64_t p = 0; p < panels; p++) {
        float *panel = packed + p * d * LOOM_KEY_PANEL;
        for (int64_t f = 0; f < d; f++) {
            for (int64_t c = 0; c < LOOM_KEY_PANEL; c++) {
                const int64_t j = p * LOOM_KEY_PANEL + c;
                panel[f * LOOM_KEY_PANEL + c] = j < n ? k[j * ldk + f] : 0.0f;
            }
        }
    }
}

/// Scores row i (stride `lds`) to its softmax over the first n entries, in place.
static void softmax_rows_portable(float *scores, int64_t lds, int64_t queries, int64_t n) {
    for (int64_t i = 0; i < queries; i++) {
        float *s = scores + i * lds;
        float maximum = -INFINITY;
        for (int64_t j = 0; j < n; j++) maximum = fmaxf(maximum, s[j]);
        float total = 0;
        for (int64_t j = 0; j < n; j++) {
            s[j] = expf(s[j] - maximum);
            total += s[j];
        }
        const float inverse = 1.0f / total;
        for (int64_t j = 0; j < n; j++) s[j] *= inverse;
    }
}

static void attend_portable(const float *q, int64_t ldq, int64_t queries, const float *packed, const float *v,
                            int64_t n, int64_t d, float scale, float *scores, int64_t lds, float *out, int64_t ldo) {
    for (int64_t i = 0; i < queries; i++) {
        for (int64_t j = 0; j < n; j++) {
            const float *panel = packed + (j / LOOM_KEY_PANEL) * d * LOOM_KEY_PANEL + j % LOOM_KEY_PANEL;
            float s = 0;
            for (int64_t f = 0; f < d; f++) s += q[i * ldq + f] * panel[f * LOOM_KEY_PANEL];
            scores[i * lds + j] = s * scale;
        }
    }
    softmax_rows_portable(scores, lds, queries, n);
    for (int64_t i = 0; i < queries; i++) {
        float *o = out + i * ldo;
        for (int64_t f = 0; f < d; f++) o[f] = 0;
        for (int64_t j = 0; j < n; j++) {
            const float p = scores[i * lds + j];
            for (int64_t f = 0; f < d; f++) o[f] += p * v[j * d + f];
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "simd_exp.h"

/// Scores of Q queries (a constant after inlining, <= 6) for every panel: 2Q accumulators of 8 keys.
AVX2 static inline __attribute__((always_inline)) void score_block(
    const float *q, int64_t ldq, const float *packed, int64_t panels, int64_t d, float scale,
    float *scores, int64_t lds, const int Q) {
    const __m256 scale8 = _mm256_set1_ps(scale);
    for (int64_t p = 0; p < panels; p++) {
        const float *panel = packed + p * d * LOOM_KEY_PANEL;
        __m256 lo[6], hi[6];
        for (int i = 0; i < Q; i++) { lo[i] = _mm256_setzero_ps(); hi[i] = _mm256_setzero_ps(); }
        for (int64_t f = 0; f < d; f++) {
            const __m256 k0 = _mm256_loadu_ps(panel + f * LOOM_KEY_PANEL), k1 = _mm256_loadu_ps(panel + f * LOOM_KEY_PANEL + 8);
            for (int i = 0; i < Q; i++) {
                const __m256 qf = _mm256_broadcast_ss(q + i * ldq + f);
                lo[i] = _mm256_fmadd_ps(qf, k0, lo[i]);
                hi[i] = _mm256_fmadd_ps(qf, k1, hi[i]);
            }
        }
        for (int i = 0; i < Q; i++) {
            _mm256_storeu_ps(scores + i * lds + p * LOOM_KEY_PANEL, _mm256_mul_ps(lo[i], scale8));
            _mm256_storeu_ps(scores + i * lds + p * LOOM_KEY_PANEL + 8, _mm256_mul_ps(hi[i], scale8));
        }
    }
}

/// out rows of Q queries (<= 6), 16 features at a time: 2Q accumulators while every value row passes.
AVX2 static inline __attribute__((always_inline)) void value_block(
    const float *scores, int64_t lds, const float *v, int64_t n, int64_t d, float *out, int64_t ldo, const int Q) {
    for (int64_t f = 0; f < d; f += 16) {
        __m256 lo[6], hi[6];
        for (int i = 0; i < Q; i++) { lo[i] = _mm256_setzero_ps(); hi[i] = _mm256_setzero_ps(); }
        for (int64_t j = 0; j < n; j++) {
            const __m256 v0 = _mm256_loadu_ps(v + j * d + f), v1 = _mm256_loadu_ps(v + j * d + f + 8);
            for (int i = 0; i < Q; i++) {
                const __m256 p = _mm256_broadcast_ss(scores + i * lds + j);
                lo[i] = _mm256_fmadd_ps(p, v0, lo[i]);
                hi[i] = _mm256_fmadd_ps(p, v1, hi[i]);
            }
        }
        for (int i = 0; i < Q; i++) {
            _mm256_storeu_ps(out + i * ldo + f, lo[i]);
            _mm256_storeu_ps(out + i * ldo + f + 8, hi[i]);
        }
    }
}

AVX2 static void softmax_rows_avx2(float *scores, int64_t lds, int64_t queries, int64_t n) {
    for (int64_t i = 0; i < queries; i++) {
        float *s = scores + i * lds;
        const float total = exp_shifted_sum_avx2(s, n, max_avx2(s, n));
        const __m256 inverse = _mm256_set1_ps(1.0f / total);
        int64_t j = 0;
        for (; j + 8 <= n; j += 8) _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), inverse));
        for (; j < n; j++) s[j] *= 1.0f / total;
    }
}

#define BY_QUERY_COUNT(CALL, COUNT)                      \
    switch (COUNT) {                                     \
    case 1: CALL(1); break;                              \
    case 2: CALL(2); break;                              \
    case 3: CALL(3); break;                              \
    case 4: CALL(4); break;                              \
    case 5: CALL(5); break;                              \
    default: CALL(6); break;                             \
    }

/// d a multiple of 16.
AVX2 static void attend_avx2(const float *q, int64_t ldq, int64_t queries, const float *packed, const float *v,
                             int64_t n, int64_t d, float scale, float *scores, int64_t lds, float *out, int64_t ldo) {
    const int64_t panels = (n + LOOM_KEY_PANEL - 1) / LOOM_KEY_PANEL;
    for (int64_t i0 = 0; i0 < queries; i0 += 6) {
        const int64_t count = queries - i0 < 6 ? queries - i0 : 6;
#define SCORE(Q) score_block(q + i0 * ldq, ldq, packed, panels, d, scale, scores + i0 * lds, lds, Q)
        BY_QUERY_COUNT(SCORE, count)
#undef SCORE
    }
    softmax_rows_avx2(scores, lds, queries, n);
    for (int64_t i0 = 0; i0 < queries; i0 += 6) {
        const int64_t count = queries - i0 < 6 ? queries - i0 : 6;
#define VALUES(Q) value_block(scores + i0 * lds, lds, v, n, d, out + i0 * ldo, ldo, Q)
        BY_QUERY_COUNT(VALUES, count)
#undef VALUES
    }
}
#define HAVE_AVX2_BODIES 1
#endif

void loom_attend_packed_keys(const float *q, int64_t ldq, int64_t queries, const float *packed_keys,
                             const float *v, int64_t n, int64_t d, float scale, float *scores,
                             float *out, int64_t ldo) {
    if (queries <= 0 || d <= 0) return;
    const int64_t lds = loom_packed_keys_count(n, 1);
#ifdef HAVE_AVX2_BODIES
    if (d % 16 == 0 && loom_kernels_use_avx2()) {
        attend_avx2(q, ldq, queries, packed_keys, v, n, d, scale, scores, lds, out, ldo);
        return;
    }
#endif
    attend_portable(q, ldq, queries, packed_keys, v, n, d, scale, scores, lds, out, ldo);
}
