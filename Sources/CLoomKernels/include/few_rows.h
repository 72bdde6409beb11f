// Decoder-step kernels: a few activation rows (one per beam) against a large weight that streams
// through once, and attention of a few queries over many fixed keys (Whisper's cross-attention over
// the 1500 encoder positions of a 30 s window). AVX2/FMA/F16C bodies chosen at run time (see
// `loom_kernels_use_avx2`), portable C otherwise. Every result sums in a fixed order whatever the
// split of outputs across threads.
#ifndef CLOOM_FEW_ROWS_H
#define CLOOM_FEW_ROWS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// y[r * ldy + o] = sum_i x[r * ldx + i] * w[o * ldw + i] (+ bias[o]) for r in [0, rows) and
/// o in [o_begin, o_end); bias may be NULL. Float32 weights.
void loom_few_rows_f32(const float *x, int64_t ldx, int64_t rows, const float *w, int64_t ldw, int64_t k,
                       int64_t o_begin, int64_t o_end, const float *bias, float *y, int64_t ldy);

/// The same with IEEE half weights (raw bits): each weight is widened to float32 exactly, products
/// and sums are float32, so the result is that of `loom_few_rows_f32` on the widened weights up to
/// summation order.
void loom_few_rows_f16(const float *x, int64_t ldx, int64_t rows, const uint16_t *w, int64_t ldw, int64_t k,
                       int64_t o_begin, int64_t o_end, const float *bias, float *y, int64_t ldy);

/// `count` IEEE halves to float32 (exact).
void loom_f16_to_f32(const uint16_t *h, float *out, int64_t count);

/// Keys in panels for `loom_attend_packed_keys`: panels of LOOM_KEY_PANEL keys, each stored
/// feature-major, element (j, f) at ((j / LOOM_KEY_PANEL) * d + f) * LOOM_KEY_PANEL + j % LOOM_KEY_PANEL.
enum { LOOM_KEY_PANEL = 16 };

/// Floats of a packed key block for n keys of d features (n rounded up to whole panels).
int64_t loom_packed_keys_count(int64_t n, int64_t d);

/// Packs keys k (n rows of d features, row j at k + j * ldk) into `packed`
/// (loom_packed_keys_count(n, d) floats); padding keys are zero.
void loom_pack_keys(const float *k, int64_t ldk, int64_t n, int64_t d, float *packed);

/// One head: out[i * ldo + f] = sum_j softmax_j(scale * q_i . k_j) v[j * d + f] for queries i in
/// [0, queries), with q_i at q + i * ldq, keys packed by `loom_pack_keys`, values v (n, d)
/// contiguous. `scores` is scratch for queries * loom_packed_keys_count(n, 1) floats (n rounded up
/// to whole panels).
void loom_attend_packed_keys(const float *q, int64_t ldq, int64_t queries, const float *packed_keys,
                             const float *v, int64_t n, int64_t d, float scale, float *scores,
                             float *out, int64_t ldo);

#ifdef __cplusplus
}
#endif

#endif
