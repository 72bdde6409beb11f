// Rows of ggml blocks (Q8_0, Q4_0, Q4_1) to float32, bit-identical to ggml's reference
// dequantizers (ggml/src/ggml-quants.c: dequantize_row_q8_0/q4_0/q4_1): d * q, d * (q - 8), and
// q * d + m rounded after the product and after the sum (never fused).
#include "CLoomKernels.h"

#include <string.h>

#include "half_float.h"

#pragma STDC FP_CONTRACT OFF

static inline float half_to_float_portable(const uint8_t *p) {
    return loom_half_bits_to_float((uint16_t)(p[0] | (p[1] << 8)));
}

static void dequantize_portable(int format, const uint8_t *w, int64_t blocks, float *out) {
    for (int64_t b = 0; b < blocks; b++, out += 32) {
        if (format == LOOM_Q8_0) {
            const uint8_t *block = w + 34 * b;
            const float d = half_to_float_portable(block);
            for (int j = 0; j < 32; j++) out[j] = (float)(int8_t)block[2 + j] * d;
        } else if (format == LOOM_Q4_0) {
            const uint8_t *block = w + 18 * b;
            const float d = half_to_float_portable(block);
            for (int j = 0; j < 16; j++) {
                out[j] = (float)((block[2 + j] & 0x0F) - 8) * d;
                out[j + 16] = (float)((block[2 + j] >> 4) - 8) * d;
            }
        } else {
            const uint8_t *block = w + 20 * b;
            const float d = half_to_float_portable(block), m = half_to_float_portable(block + 2);
            for (int j = 0; j < 16; j++) {
                const float low = (float)(block[4 + j] & 0x0F) * d;
                const float high = (float)(block[4 + j] >> 4) * d;
                out[j] = low + m;
                out[j + 16] = high + m;
            }
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float half_f16c(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// 8 bytes (unsigned, or signed when `is_signed`) to 8 floats.
AVX2 static inline __m256 bytes_to_floats(const uint8_t *p, int is_signed) {
    const __m128i bytes = _mm_loadl_epi64((const __m128i *)p);
    return _mm256_cvtepi32_ps(is_signed ? _mm256_cvtepi8_epi32(bytes) : _mm256_cvtepu8_epi32(bytes));
}

AVX2 static void dequantize_avx2(int format, const uint8_t *w, int64_t blocks, float *out) {
    for (int64_t b = 0; b < blocks; b++, out += 32) {
        if (format == LOOM_Q8_0) {
            const uint8_t *block = w + 34 * b;
            const __m256 d = _mm256_set1_ps(half_f16c(block));
            for (int c = 0; c < 4; c++) _mm256_storeu_ps(out + 8 * c, _mm256_mul_ps(bytes_to_floats(block + 2 + 8 * c, 1), d));
        } else {
            const int q4_1 = format == LOOM_Q4_1;
            const uint8_t *block = w + (q4_1 ? 20 : 18) * b;
            const __m256 d = _mm256_set1_ps(half_f16c(block));
            const __m256 m = _mm256_set1_ps(q4_1 ? half_f16c(block + 2) : 0.0f);
            const __m128i packed = _mm_loadu_si128((const __m128i *)(block + (q4_1 ? 4 : 2)));
            uint8_t values[32];  // element j: low nibble of byte j; element j + 16: its high nibble
            const __m128i mask = _mm_set1_epi8(0x0F);
            _mm_storeu_si128((__m128i *)values, _mm_and_si128(packed, mask));
            _mm_storeu_si128((__m128i *)(values + 16), _mm_and_si128(_mm_srli_epi16(packed, 4), mask));
            for (int c = 0; c < 4; c++) {
                __m256 q = bytes_to_floats(values + 8 * c, 0);
                if (q4_1) {
                    _mm256_storeu_ps(out + 8 * c, _mm256_add_ps(_mm256_mul_ps(q, d), m));
                } else {
                    q = _mm256_sub_ps(q, _mm256_set1_ps(8.0f));  // exact: small integers
                    _mm256_storeu_ps(out + 8 * c, _mm256_mul_ps(q, d));
                }
            }
        }
    }
}
#endif

void loom_dequantize_row(int format, const void *w, int64_t cols, float *out) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (loom_kernels_use_avx2()) { dequantize_avx2(format, (const uint8_t *)w, cols / 32, out); return; }
#endif
    dequantize_portable(format, (const uint8_t *)w, cols / 32, out);
}
