// Integer dot products of ggml weight blocks (Q4_0, Q4_1, Q8_0) with activations quantized to
// 8-bit blocks, as llama.cpp computes its quantized matrix products on the CPU
// (ggml/src/ggml-cpu/arch/x86/quants.c: quantize_row_q8_1, ggml_vec_dot_q4_0_q8_0,
// ggml_vec_dot_q4_1_q8_1, ggml_vec_dot_q8_0_q8_0).
//
// Each function picks an AVX2/FMA/F16C body at run time when the CPU has those features and a
// portable C body otherwise, so one binary runs on any x86-64 (or other) CPU.
#ifndef CLOOM_KERNELS_H
#define CLOOM_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 32 activations as int8 q with a float scale d (x ~ d * q) and s = d * sum(q), which lets the
/// Q4_1 min and the Q4_0 offset be applied once per block. 40 bytes.
typedef struct {
    float d;
    float s;
    int8_t q[32];
} loom_block_q8;

/// Block formats of the weight rows (the values of Loom's QuantizedFormat that have a kernel).
enum { LOOM_Q8_0 = 0, LOOM_Q4_0 = 1, LOOM_Q4_1 = 2 };

/// 1 when the AVX2 bodies are in use (the CPU has AVX2, FMA and F16C), 0 for the portable ones.
int loom_kernels_use_avx2(void);
/// 1 when the CPU has AVX2, FMA and F16C, whatever a test forces.
int loom_kernels_cpu_has_avx2(void);

/// Forces the portable bodies (1) or restores the automatic choice (0); for tests, through
/// FastKernels.choose(portable:), which holds one choice at a time.
void loom_kernels_force_portable(int portable);

/// x (n floats, n a multiple of 32) to n / 32 blocks: d = max|x| / 127, q = round-to-nearest-even(x / d).
void loom_quantize_row_q8(const float *x, loom_block_q8 *y, int64_t n);

/// y[r * y_stride] = dot(weight row r, x) for r in [0, rows): weight rows start at w, row_bytes
/// apart, each `blocks` blocks of `format`; x holds `blocks` activation blocks.
void loom_dot_rows(int format, const void *w, int64_t row_bytes, int64_t rows,
                   const loom_block_q8 *x, int64_t blocks, float *y, int64_t y_stride);

/// Batched: y[t * y_stride + r] = dot(weight row r, activations t) for r in [0, rows) and
/// t in [0, count); activations t are the `blocks` blocks at x + t * blocks. Each weight row is
/// read once for several activation rows (the prompt path).
void loom_dot_rows_batch(int format, const void *w, int64_t row_bytes, int64_t rows,
                         const loom_block_q8 *x, int64_t blocks, int64_t count,
                         float *y, int64_t y_stride);

/// gate[i] = SiLU(gate[i]) * up[i] = gate[i] / (1 + e^-gate[i]) * up[i] (relative error < 1e-6).
void loom_swiglu(float *gate, const float *up, int64_t n);

/// One channel of a depthwise 2-D convolution: `input` (height, width), `weight` (kernel_h, kernel_w),
/// zero padding pad_top / pad_left (the far sides follow from out_h, out_w), into `output` (out_h, out_w).
void loom_depthwise_conv2d(const float *input, int64_t height, int64_t width, const float *weight, int64_t kernel_h,
                           int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left,
                           float bias, float *output, int64_t out_h, int64_t out_w);

/// One attention head for one query: out (d) = sum_j softmax_j(scale * q.k_j) v_j over the n
/// positions of keys and values (each (n, d), row-major). `scores` is scratch for n floats.
void loom_attend(const float *q, const float *keys, const float *values, int64_t n, int64_t d,
                 float scale, float *scores, float *out);

/// `group` consecutive query heads (q and out: group * d floats) that share one kv head, as in
/// grouped-query attention: `loom_attend` for each, reading keys and values once for all of them.
/// `scores` is scratch for group * n floats.
void loom_attend_group(const float *q, const float *keys, const float *values, int64_t n, int64_t d,
                       int64_t group, float scale, float *scores, float *out);

/// One row of `cols` elements (a multiple of 32) in `format` blocks to float32, bit-identical
/// to ggml's dequantize_row_q8_0 / q4_0 / q4_1.
void loom_dequantize_row(int format, const void *w, int64_t cols, float *out);

#ifdef __cplusplus
}
#endif

#endif
#include "thread_pool.h"
#include "elementwise.h"
#include "encoder_kernels.h"
#include "few_rows.h"
