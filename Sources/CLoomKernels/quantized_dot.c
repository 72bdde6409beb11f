// Integer dot products of ggml weight blocks with 8-bit activation blocks (see CLoomKernels.h).
//
// Follows llama.cpp's x86 CPU kernels (ggml/src/ggml-cpu/arch/x86/quants.c): activations are
// quantized per 32-element block (quantize_row_q8_1), weight nibbles are unpacked to bytes,
// `_mm256_maddubs_epi16` multiplies unsigned weight bytes with signed activation bytes and
// `_mm256_madd_epi16` widens the pair sums to int32 before one float multiply-add per block.
// Q8_0 weights use the sign trick (|w| times sign(w) * x) to fit maddubs' unsigned operand.
//
// The AVX2 bodies are compiled with a target attribute and chosen at run time, so the rest of
// the file (and the program) needs no special compiler flags.
#include "CLoomKernels.h"

#include <math.h>
#include <string.h>

#include "half_float.h"

// ---------------------------------------------------------------------------------------------
// Portable helpers and bodies

static inline uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static void quantize_row_q8_portable(const float *x, loom_block_q8 *y, int64_t n) {
    for (int64_t b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(xb[j]));
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            const int q = (int)nearbyintf(xb[j] * id);  // default rounding: nearest, ties to even
            y[b].q[j] = (int8_t)q;
            sum += q;
        }
        y[b].d = d;
        y[b].s = d * (float)sum;
    }
}

/// One weight block times one activation block: the float result and nothing cached.
static inline float block_dot_portable(int format, const uint8_t *w, const loom_block_q8 *x) {
    int sum = 0;
    switch (format) {
    case LOOM_Q8_0: {
        const int8_t *q = (const int8_t *)(w + 2);
        for (int j = 0; j < 32; j++) sum += q[j] * x->q[j];
        return loom_half_bits_to_float(load_u16(w)) * x->d * (float)sum;
    }
    case LOOM_Q4_0: {
        const uint8_t *q = w + 2;
        for (int j = 0; j < 16; j++) sum += (q[j] & 0x0F) * x->q[j] + (q[j] >> 4) * x->q[j + 16];
        const float d = loom_half_bits_to_float(load_u16(w));
        return d * x->d * (float)sum - 8.0f * d * x->s;
    }
    default: {  // LOOM_Q4_1
        const uint8_t *q = w + 4;
        for (int j = 0; j < 16; j++) sum += (q[j] & 0x0F) * x->q[j] + (q[j] >> 4) * x->q[j + 16];
        return loom_half_bits_to_float(load_u16(w)) * x->d * (float)sum + loom_half_bits_to_float(load_u16(w + 2)) * x->s;
    }
    }
}

static inline int64_t block_bytes(int format) {
    return format == LOOM_Q8_0 ? 34 : format == LOOM_Q4_0 ? 18 : 20;
}

static void dot_rows_batch_portable(int format, const void *w, int64_t row_bytes, int64_t rows,
                                    const loom_block_q8 *x, int64_t blocks, int64_t count,
                                    float *y, int64_t y_stride) {
    const int64_t bb = block_bytes(format);
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + r * row_bytes;
        for (int64_t t = 0; t < count; t++) {
            const loom_block_q8 *xt = x + t * blocks;
            float acc = 0;
            for (int64_t b = 0; b < blocks; b++) acc += block_dot_portable(format, row + b * bb, xt + b);
            y[t * y_stride + r] = acc;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AVX2 + FMA + F16C bodies (x86-64 only)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define LOOM_HAVE_AVX2_BODIES 1
#include "simd_exp.h"  // AVX2, hsum8

AVX2 static inline float half_avx(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// 16 bytes of nibbles to 32 bytes 0..15: element j (low nibble of byte j) in byte j, element
/// j + 16 (high nibble) in byte j + 16, the order of ggml's Q4 blocks and of the activations.
AVX2 static inline __m256i unpack_nibbles(const uint8_t *q) {
    const __m128i bytes = _mm_loadu_si128((const __m128i *)q);
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(bytes, 4), bytes);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/// Eight float partial sums of unsigned bytes u times signed bytes s (pair sums fit int16:
/// |u| <= 128 and |s| <= 127 here).
AVX2 static inline __m256 dot_us8(__m256i u, __m256i s) {
    const __m256i pairs = _mm256_maddubs_epi16(u, s);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

AVX2 static void quantize_row_q8_avx2(const float *x, loom_block_q8 *y, int64_t n) {
    const __m256 sign_bit = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < n / 32; b++) {
        __m256 v0 = _mm256_loadu_ps(x + 32 * b);
        __m256 v1 = _mm256_loadu_ps(x + 32 * b + 8);
        __m256 v2 = _mm256_loadu_ps(x + 32 * b + 16);
        __m256 v3 = _mm256_loadu_ps(x + 32 * b + 24);
        __m256 m = _mm256_andnot_ps(sign_bit, v0);
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign_bit, v1));
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign_bit, v2));
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign_bit, v3));
        __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        const float d = amax / 127.0f;
        const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
#define ROUND (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
        __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), ROUND));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), ROUND));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), ROUND));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), ROUND));
        const __m256i sum4 = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(sum4), _mm256_extracti128_si256(sum4, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        y[b].d = d;
        y[b].s = d * (float)_mm_cvtsi128_si32(s);
        // Packing interleaves 128-bit lanes; the permute restores element order.
        i0 = _mm256_packs_epi32(i0, i1);
        i2 = _mm256_packs_epi32(i2, i3);
        i0 = _mm256_packs_epi16(i0, i2);
        i0 = _mm256_permutevar8x32_epi32(i0, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)y[b].q, i0);
    }
}

/// Weight block b of `row` prepared once: unsigned bytes, its scale, and the per-activation-block
/// constant term's factor (Q4_1: min m; Q4_0: -8 d; Q8_0: 0).
typedef struct {
    __m256i u;      // unsigned weight bytes (|q| for Q8_0)
    __m256i signs;  // Q8_0 only: the weight bytes, whose signs move onto the activations
    float d;
    float offset;
} weight_block;

AVX2 static inline weight_block load_block(int format, const uint8_t *w) {
    weight_block b;
    b.d = half_avx(w);
    if (format == LOOM_Q8_0) {
        b.signs = _mm256_loadu_si256((const __m256i *)(w + 2));
        b.u = _mm256_sign_epi8(b.signs, b.signs);
        b.offset = 0;
    } else if (format == LOOM_Q4_0) {
        b.u = unpack_nibbles(w + 2);
        b.signs = b.u;
        b.offset = -8.0f * b.d;
    } else {
        b.u = unpack_nibbles(w + 4);
        b.signs = b.u;
        b.offset = half_avx(w + 2);
    }
    return b;
}

/// The activations' bytes in the form dot_us8 needs for this weight block.
AVX2 static inline __m256i activation_bytes(int format, const weight_block *b, const loom_block_q8 *x) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)x->q);
    return format == LOOM_Q8_0 ? _mm256_sign_epi8(q, b->signs) : q;
}

/// `count` (1...4) activation rows against one weight row, each weight block unpacked once.
AVX2 static inline void dot_row_avx2(int format, const uint8_t *row, int64_t bb, const loom_block_q8 *x,
                                     int64_t blocks, int count, float *out, int64_t out_stride) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float extra[4] = {0, 0, 0, 0};
    for (int64_t b = 0; b < blocks; b++) {
        const weight_block wb = load_block(format, row + b * bb);
        for (int t = 0; t < count; t++) {
            const loom_block_q8 *xb = x + t * blocks + b;
            const __m256 p = dot_us8(wb.u, activation_bytes(format, &wb, xb));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(wb.d * xb->d), p, acc[t]);
            extra[t] += wb.offset * xb->s;
        }
    }
    for (int t = 0; t < count; t++) out[t * out_stride] = hsum8(acc[t]) + extra[t];
}

/// One format per instantiation so `format` folds to a constant inside the loops.
#define DOT_ROWS_BODY(FORMAT)                                                                        \
    for (int64_t t0 = 0; t0 < count; t0 += chunk) {                                                   \
        const int64_t t1 = t0 + chunk < count ? t0 + chunk : count;                                   \
        for (int64_t r = 0; r < rows; r++) {                                                          \
            const uint8_t *row = (const uint8_t *)w + r * row_bytes;                                  \
            int64_t t = t0;                                                                           \
            for (; t + 4 <= t1; t += 4) dot_row_avx2(FORMAT, row, bb, x + t * blocks, blocks, 4, y + t * y_stride + r, y_stride); \
            for (; t < t1; t++) dot_row_avx2(FORMAT, row, bb, x + t * blocks, blocks, 1, y + t * y_stride + r, y_stride); \
        }                                                                                             \
    }

AVX2 static void dot_rows_batch_avx2(int format, const void *w, int64_t row_bytes, int64_t rows,
                                     const loom_block_q8 *x, int64_t blocks, int64_t count,
                                     float *y, int64_t y_stride) {
    const int64_t bb = block_bytes(format);
    // Activation rows in chunks that stay in L1/L2 while every weight row passes over them.
    const int64_t chunk = blocks > 0 ? (16384 / (blocks * (int64_t)sizeof(loom_block_q8)) / 4 + 1) * 4 : 4;
    switch (format) {
    case LOOM_Q8_0: DOT_ROWS_BODY(LOOM_Q8_0) break;
    case LOOM_Q4_0: DOT_ROWS_BODY(LOOM_Q4_0) break;
    default: DOT_ROWS_BODY(LOOM_Q4_1) break;
    }
}

static int detect_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
#else
#define LOOM_HAVE_AVX2_BODIES 0
static int detect_avx2(void) { return 0; }
#endif

// ---------------------------------------------------------------------------------------------
// Dispatch

static int force_portable = 0;

int loom_kernels_cpu_has_avx2(void) {
    static int detected = -1;  // every thread that races here stores the same value
    int cpu = __atomic_load_n(&detected, __ATOMIC_RELAXED);
    if (cpu < 0) {
        cpu = detect_avx2();
        __atomic_store_n(&detected, cpu, __ATOMIC_RELAXED);
    }
    return cpu;
}

int loom_kernels_use_avx2(void) {
    return loom_kernels_cpu_has_avx2() && !__atomic_load_n(&force_portable, __ATOMIC_RELAXED);
}

void loom_kernels_force_portable(int portable) { __atomic_store_n(&force_portable, portable, __ATOMIC_RELAXED); }

void loom_quantize_row_q8(const float *x, loom_block_q8 *y, int64_t n) {
#if LOOM_HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) { quantize_row_q8_avx2(x, y, n); return; }
#endif
    quantize_row_q8_portable(x, y, n);
}

void loom_dot_rows_batch(int format, const void *w, int64_t row_bytes, int64_t rows,
                         const loom_block_q8 *x, int64_t blocks, int64_t count, float *y, int64_t y_stride) {
#if LOOM_HAVE_AVX2_BODIES
    if (loom_kernels_use_avx2()) { dot_rows_batch_avx2(format, w, row_bytes, rows, x, blocks, count, y, y_stride); return; }
#endif
    dot_rows_batch_portable(format, w, row_bytes, rows, x, blocks, count, y, y_stride);
}

void loom_dot_rows(int format, const void *w, int64_t row_bytes, int64_t rows,
                   const loom_block_q8 *x, int64_t blocks, float *y, int64_t y_stride) {
    // One activation row: y[r * y_stride] for each row r, i.e. the batch layout with count 1
    // when y_stride is 1; otherwise row by row.
    if (y_stride == 1) { loom_dot_rows_batch(format, w, row_bytes, rows, x, blocks, 1, y, 0); return; }
    for (int64_t r = 0; r < rows; r++)
        loom_dot_rows_batch(format, (const uint8_t *)w + r * row_bytes, row_bytes, 1, x, blocks, 1, y + r * y_stride, 0);
}
