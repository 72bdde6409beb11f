// A few activation rows times a large row-major weight (see few_rows.h): the decoder step of a
// beam search, where the weight (a Linear layer or the 51865 x 512 vocabulary projection) is far
// larger than the caches and its bytes, not the arithmetic, set the time. Every weight row streams
// through once for all rows (up to 8 per pass), so half weights halve the time; F16C widens them
// to float32 in registers (`_mm256_cvtph_ps`, exact).
//
// Each output sums in a fixed order: 8-lane partial sums over k, the lanes, then the k % 8 tail.
#include "CLoomKernels.h"
#include "few_rows.h"
#include "half_float.h"

#include <string.h>

static inline float identity_f32(float v) { return v; }

// Portable bodies: one output at a time, in index order.
#define PORTABLE_BODY(NAME, WT, WIDEN)                                                                   \
    static void NAME(const float *x, int64_t ldx, int64_t rows, const WT *w, int64_t ldw, int64_t k,      \
                     int64_t o_begin, int64_t o_end, const float *bias, float *y, int64_t ldy) {          \
        for (int64_t o = o_begin; o < o_end; o++) {                                                       \
            const WT *row = w + o * ldw;                                                                  \
            for (int64_t r = 0; r < rows; r++) {                                                          \
                const float *xr = x + r * ldx;                                                            \
                float s = 0;                                                                              \
                for (int64_t i = 0; i < k; i++) s += xr[i] * WIDEN(row[i]);                               \
                y[r * ldy + o] = s + (bias ? bias[o] : 0.0f);                                             \
            }                                                                                             \
        }                                                                                                 \
    }
PORTABLE_BODY(few_rows_f32_portable, float, identity_f32)
PORTABLE_BODY(few_rows_f16_portable, uint16_t, loom_half_bits_to_float)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "simd_exp.h"

AVX2 static inline __m256 load8_f32(const float *w) { return _mm256_loadu_ps(w); }
AVX2 static inline __m256 load8_f16(const uint16_t *w) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
}

// R rows times O outputs starting at o: R x O accumulators, each weight vector loaded once for all
// R rows, each x vector once for all O outputs. R and O are constants after inlining (<= 16 ymm).
#define AVX2_BLOCK(NAME, WT, LOAD8, WIDEN)                                                                \
    AVX2 static inline __attribute__((always_inline)) void NAME(                                          \
        const float *x, int64_t ldx, const WT *w, int64_t ldw, int64_t k, int64_t o, const float *bias,   \
        float *y, int64_t ldy, const int R, const int O) {                                                \
        __m256 acc[8][4];                                                                                 \
        for (int r = 0; r < R; r++)                                                                       \
            for (int c = 0; c < O; c++) acc[r][c] = _mm256_setzero_ps();                                  \
        int64_t i = 0;                                                                                    \
        for (; i + 8 <= k; i += 8) {                                                                      \
            __m256 wv[4];                                                                                 \
            for (int c = 0; c < O; c++) wv[c] = LOAD8(w + (o + c) * ldw + i);                             \
            for (int r = 0; r < R; r++) {                                                                 \
                const __m256 xv = _mm256_loadu_ps(x + r * ldx + i);                                       \
                for (int c = 0; c < O; c++) acc[r][c] = _mm256_fmadd_ps(xv, wv[c], acc[r][c]);            \
            }                                                                                             \
        }                                                                                                 \
        for (int r = 0; r < R; r++) {                                                                     \
            for (int c = 0; c < O; c++) {                                                                 \
                float s = hsum8(acc[r][c]);                                                               \
                for (int64_t j = i; j < k; j++) s += x[r * ldx + j] * WIDEN(w[(o + c) * ldw + j]);        \
                y[r * ldy + o + c] = s + (bias ? bias[o + c] : 0.0f);                                     \
            }                                                                                             \
        }                                                                                                 \
    }
AVX2_BLOCK(block_f32, float, load8_f32, identity_f32)
AVX2_BLOCK(block_f16, uint16_t, load8_f16, loom_half_bits_to_float)

// Outputs per block for R rows: as many as fit the 16 ymm registers (R x O accumulators, O weight
// vectors, one x vector); several outputs also give the adds independent chains when R is small.
#define OUTPUTS_FOR(R) ((R) <= 2 ? 4 : (R) <= 6 ? 2 : 1)

// Runs rows [0, R) (R a constant 1...8) over outputs [o_begin, o_end).
#define AVX2_ROWS(BLOCK, R)                                                                               \
    do {                                                                                                  \
        int64_t o = o_begin;                                                                              \
        for (; o + OUTPUTS_FOR(R) <= o_end; o += OUTPUTS_FOR(R))                                          \
            BLOCK(x, ldx, w, ldw, k, o, bias, y, ldy, R, OUTPUTS_FOR(R));                                 \
        for (; o < o_end; o++) BLOCK(x, ldx, w, ldw, k, o, bias, y, ldy, R, 1);                          \
    } while (0)

#define AVX2_DRIVER(NAME, WT, BLOCK)                                                                      \
    AVX2 static void NAME(const float *x, int64_t ldx, int64_t rows, const WT *w, int64_t ldw, int64_t k, \
                          int64_t o_begin, int64_t o_end, const float *bias, float *y, int64_t ldy) {     \
        for (int64_t r0 = 0; r0 < rows; r0 += 8, x += 8 * ldx, y += 8 * ldy) {                            \
            switch (rows - r0 < 8 ? rows - r0 : 8) {                                                      \
            case 1: AVX2_ROWS(BLOCK, 1); break;                                                           \
            case 2: AVX2_ROWS(BLOCK, 2); break;                                                           \
            case 3: AVX2_ROWS(BLOCK, 3); break;                                                           \
            case 4: AVX2_ROWS(BLOCK, 4); break;                                                           \
            case 5: AVX2_ROWS(BLOCK, 5); break;                                                           \
            case 6: AVX2_ROWS(BLOCK, 6); break;                                                           \
            case 7: AVX2_ROWS(BLOCK, 7); break;                                                           \
            default: AVX2_ROWS(BLOCK, 8); break;                                                          \
            }                                                                                             \
        }                                                                                                 \
    }
AVX2_DRIVER(few_rows_f32_avx2, float, block_f32)
AVX2_DRIVER(few_rows_f16_avx2, uint16_t, block_f16)

AVX2 static void f16_to_f32_avx2(const uint16_t *h, float *out, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, load8_f16(h + i));
    for (; i < count; i++) out[i] = loom_half_bits_to_float(h[i]);
}
#define HAVE_AVX2_BODIES 1
#endif

void loom_few_rows_f32(const float *x, int64_t ldx, int64_t rows, const float *w, int64_t ldw, int64_t k,
                       int64_t o_begin, int64_t o_end, const float *bias, float *y, int64_t ldy) {
#ifdef HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) { few_rows_f32_avx2(x, ldx, rows, w, ldw, k, o_begin, o_end, bias, y, ldy); return; }
#endif
    few_rows_f32_portable(x, ldx, rows, w, ldw, k, o_begin, o_end, bias, y, ldy);
}

void loom_few_rows_f16(const float *x, int64_t ldx, int64_t rows, const uint16_t *w, int64_t ldw, int64_t k,
                       int64_t o_begin, int64_t o_end, const float *bias, float *y, int64_t ldy) {
#ifdef HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) { few_rows_f16_avx2(x, ldx, rows, w, ldw, k, o_begin, o_end, bias, y, ldy); return; }
#endif
    few_rows_f16_portable(x, ldx, rows, w, ldw, k, o_begin, o_end, bias, y, ldy);
}

void loom_f16_to_f32(const uint16_t *h, float *out, int64_t count) {
#ifdef HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) { f16_to_f32_avx2(h, out, count); return; }
#endif
    for (int64_t i = 0; i < count; i++) out[i] = loom_half_bits_to_float(h[i]);
}
