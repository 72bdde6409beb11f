// Bidirectional self-attention of one BERT head over one packed sequence, as BertSelfAttention
// (transformers/models/bert/modeling_bert.py) computes it for the real tokens of a masked batch:
// scores (q + qb).(k + kb) * scale, softmax over the sequence's keys, weighted sum of (v + vb).
// The AVX2 body works on six query rows at a time, so every key and value row it loads serves six
// queries: scores against keys transposed in panels of sixteen keys, then the weighted sum sixteen
// output lanes at a time over values in panels of sixteen lanes. The softmax's 1/sum and the value bias (rows of the
// softmax sum to 1) are applied once to each output row. Portable C for other head sizes and CPUs.
#include "CLoomKernels.h"

#include <math.h>

static int64_t padded_length(int64_t length) { return (length + 15) & ~(int64_t)15; }

int64_t loom_encoder_attention_scratch(int64_t length, int64_t head_dim) {
    const int64_t lp = padded_length(length);
    const int64_t dp = (head_dim + 15) & ~(int64_t)15;
    return head_dim * lp + dp * lp + 8 * lp + 8 * head_dim;  // room for up to 8 query rows per block
}

static void attention_portable(const float *q, const float *k, const float *v, int64_t stride,
                               const float *qb, const float *kb, const float *vb, int64_t length,
                               int64_t head_dim, float scale, float *scratch, float *out, int64_t out_stride) {
    float *scores = scratch;
    for (int64_t i = 0; i < length; i++) {
        const float *qi = q + i * stride;
        float maximum = -INFINITY;
        for (int64_t j = 0; j < length; j++) {
            const float *kj = k + j * stride;
            float sum = 0;
            for (int64_t d = 0; d < head_dim; d++) {
                sum += (qi[d] + (qb ? qb[d] : 0)) * (kj[d] + (kb ? kb[d] : 0));
            }
            scores[j] = sum * scale;
            maximum = fmaxf(maximum, scores[j]);
        }
        float total = 0;
        for (int64_t j = 0; j < length; j++) {
            scores[j] = expf(scores[j] - maximum);
            total += scores[j];
        }
        const float inverse = 1.0f / total;
        float *o = out + i * out_stride;
        for (int64_t d = 0; d < head_dim; d++) o[d] = 0;
        for (int64_t j = 0; j < length; j++) {
            const float w = scores[j] * inverse;
            const float *vj = v + j * stride;
            for (int64_t d = 0; d < head_dim; d++) o[d] += w * vj[d];
        }
        if (vb) for (int64_t d = 0; d < head_dim; d++) o[d] += vb[d];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "simd_exp.h"

/// Query rows per block: 6 rows x 16 lanes keep 12 accumulators, two loaded rows and one broadcast
/// in the 16 ymm registers, so each key or value row loaded from L2 serves six queries.
enum { BLOCK = 6 };

/// Scores of BLOCK query rows (qs: BLOCK x head_dim, already scaled) against keys j..j+15 (kp: the
/// keys' panel, head_dim rows of 16 keys, contiguous) into s (BLOCK rows of lp).
AVX2 static inline void scores_block(const float *qs, const float *kp, int64_t lp, int64_t head_dim, int64_t j,
                                     float *s) {
    __m256 a[BLOCK][2];
    for (int r = 0; r < BLOCK; r++) a[r][0] = a[r][1] = _mm256_setzero_ps();
    const float *kd = kp;
    for (int64_t d = 0; d < head_dim; d++, kd += 16) {
        const __m256 k0 = _mm256_loadu_ps(kd), k1 = _mm256_loadu_ps(kd + 8);
        for (int r = 0; r < BLOCK; r++) {
            const __m256 b = _mm256_broadcast_ss(qs + r * head_dim + d);
            a[r][0] = _mm256_fmadd_ps(b, k0, a[r][0]);
            a[r][1] = _mm256_fmadd_ps(b, k1, a[r][1]);
        }
    }
    for (int r = 0; r < BLOCK; r++) {
        _mm256_storeu_ps(s + r * lp + j, a[r][0]);
        _mm256_storeu_ps(s + r * lp + j + 8, a[r][1]);
    }
}

/// s[0..<length] = exp(s - max), returns 1 / sum.
AVX2 static inline float softmax_row(float *s, int64_t length) {
    return 1.0f / exp_shifted_sum_avx2(s, length, max_avx2(s, length));
}

/// Output lanes d0..d0+15 of the block's first `rows` rows (only d0..d0+7 when not `wide`): sum over
/// j of s[r][j] v_j, times inv[r], plus vb. vp is the values' panel for those lanes: lp rows of 16.
AVX2 static inline void weighted_block(const float *s, int64_t lp, const float *vp, int64_t length,
                                       int64_t d0, int wide, const float *inv, const float *vb, int rows,
                                       float *out, int64_t out_stride) {
    __m256 a[BLOCK][2];
    for (int r = 0; r < BLOCK; r++) a[r][0] = a[r][1] = _mm256_setzero_ps();
    const float *vj = vp;
    for (int64_t j = 0; j < length; j++, vj += 16) {
        const __m256 v0 = _mm256_loadu_ps(vj), v1 = _mm256_loadu_ps(vj + 8);
        for (int r = 0; r < BLOCK; r++) {
            const __m256 b = _mm256_broadcast_ss(s + r * lp + j);
            a[r][0] = _mm256_fmadd_ps(b, v0, a[r][0]);
            a[r][1] = _mm256_fmadd_ps(b, v1, a[r][1]);
        }
    }
    const __m256 b0 = vb ? _mm256_loadu_ps(vb + d0) : _mm256_setzero_ps();
    const __m256 b1 = vb && wide ? _mm256_loadu_ps(vb + d0 + 8) : _mm256_setzero_ps();
    for (int r = 0; r < rows; r++) {
        float *o = out + r * out_stride + d0;
        const __m256 scale = _mm256_set1_ps(inv[r]);
        _mm256_storeu_ps(o, _mm256_fmadd_ps(a[r][0], scale, b0));
        if (wide) _mm256_storeu_ps(o + 8, _mm256_fmadd_ps(a[r][1], scale, b1));
    }
}

/// head_dim a multiple of 8.
AVX2 static void attention_avx2(const float *q, const float *k, const float *v, int64_t stride,
                                const float *qb, const float *kb, const float *vb, int64_t length,
                                int64_t head_dim, float scale, float *scratch, float *out, int64_t out_stride) {
    const int64_t lp = padded_length(length);
    const int64_t dp = (head_dim + 15) & ~(int64_t)15;
    // Keys and values are copied into panels of 16 contiguous floats, so the inner loops read
    // consecutive cache lines: rows of q/k/v are 3H floats apart, and a power-of-two-like stride
    // would map every row's line to a few L1 sets and evict them before they are reused.
    float *kp = scratch;               // lp / 16 panels of (head_dim, 16): keys + kb, zero past length
    float *vp = kp + head_dim * lp;    // dp / 16 panels of (lp, 16): values, zero past head_dim
    float *s = vp + dp * lp;           // (BLOCK, lp): scores, then softmax numerators
    float *qs = s + BLOCK * lp;        // (BLOCK, head_dim): (q + qb) * scale
    for (int64_t j = 0; j < lp; j++) {
        float *kj_panel = kp + (j >> 4) * head_dim * 16 + (j & 15);
        float *vj_panel = vp + j * 16;
        if (j < length) {
            const float *kj = k + j * stride, *vj = v + j * stride;
            for (int64_t d = 0; d < head_dim; d++) kj_panel[d * 16] = kj[d] + (kb ? kb[d] : 0.0f);
            for (int64_t d = 0; d < head_dim; d += 8) {  // head_dim is a multiple of 8
                _mm256_storeu_ps(vj_panel + (d >> 4) * lp * 16 + (d & 15), _mm256_loadu_ps(vj + d));
            }
            if (dp > head_dim) _mm256_storeu_ps(vj_panel + (head_dim >> 4) * lp * 16 + 8, _mm256_setzero_ps());
        } else {
            for (int64_t d = 0; d < head_dim; d++) kj_panel[d * 16] = 0;
        }
    }
    for (int64_t i0 = 0; i0 < length; i0 += BLOCK) {
        const int rows = length - i0 < BLOCK ? (int)(length - i0) : BLOCK;
        // Past the last query row, the block repeats it; those rows are computed and not stored.
        for (int r = 0; r < BLOCK; r++) {
            const float *qi = q + (i0 + (r < rows ? r : rows - 1)) * stride;
            for (int64_t d = 0; d < head_dim; d++) qs[r * head_dim + d] = (qi[d] + (qb ? qb[d] : 0.0f)) * scale;
        }
        for (int64_t j = 0; j < lp; j += 16) scores_block(qs, kp + j * head_dim, lp, head_dim, j, s);
        float inv[BLOCK];
        for (int r = 0; r < rows; r++) inv[r] = softmax_row(s + r * lp, length);
        for (int r = rows; r < BLOCK; r++) {
            for (int64_t j = 0; j < length; j++) s[r * lp + j] = 0;
            inv[r] = 0;
        }
        for (int64_t d0 = 0; d0 < head_dim; d0 += 16) {
            weighted_block(s, lp, vp + d0 * lp, length, d0, head_dim - d0 >= 16, inv, vb, rows, out + i0 * out_stride, out_stride);
        }
    }
}
#endif

void loom_encoder_attention(const float *q, const float *k, const float *v, int64_t stride,
                            const float *qb, const float *kb, const float *vb,
                            int64_t length, int64_t head_dim, float scale,
                            float *scratch, float *out, int64_t out_stride) {
    if (length <= 0 || head_dim <= 0) return;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (head_dim % 8 == 0 && loom_kernels_use_avx2()) {
        attention_avx2(q, k, v, stride, qb, kb, vb, length, head_dim, scale, scratch, out, out_stride);
        return;
    }
#endif
    attention_portable(q, k, v, stride, qb, kb, vb, length, head_dim, scale, scratch, out, out_stride);
}
