// Kernels of the BERT encoder (sentence embeddings) over packed token rows: bidirectional attention
// of one (sequence, head) pair, bias + GELU, and bias + residual + LayerNorm. As the rest of
// CLoomKernels, each picks an AVX2/FMA body at run time when the CPU has it and a portable C body
// otherwise (`loom_kernels_use_avx2`, `loom_kernels_force_portable`).
#ifndef CLOOM_ENCODER_KERNELS_H
#define CLOOM_ENCODER_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Floats of scratch that `loom_encoder_attention` needs for a sequence of `length` tokens.
int64_t loom_encoder_attention_scratch(int64_t length, int64_t head_dim);

/// One head of bidirectional self-attention over one sequence of `length` tokens:
/// out_i = sum_j softmax_j(scale * (q_i + qb) . (k_j + kb)) (v_j + vb), for i < length.
/// Row i of q, k and v starts at q + i * stride (k, v likewise); row i of out at out + i * out_stride;
/// each row is `head_dim` floats. qb, kb, vb (head_dim floats each) are the projection biases, or NULL.
/// `scratch` holds `loom_encoder_attention_scratch(length, head_dim)` floats.
void loom_encoder_attention(const float *q, const float *k, const float *v, int64_t stride,
                            const float *qb, const float *kb, const float *vb,
                            int64_t length, int64_t head_dim, float scale,
                            float *scratch, float *out, int64_t out_stride);

/// x[r * cols + c] = GELU(x[r * cols + c] + bias[c]) for r < rows, c < cols, GELU with erf
/// (0.5 x (1 + erf(x / sqrt 2))), erf by Abramowitz & Stegun 7.1.26 as PyTorch's CPU kernel
/// (absolute error < 1e-6). `bias` may be NULL.
void loom_encoder_bias_gelu(float *x, const float *bias, int64_t rows, int64_t cols);

/// out row r = LayerNorm(x row r + bias + residual row r) * gamma + beta over `dim` floats, for
/// r < rows (rows contiguous, `dim` apart). `bias` may be NULL; `out` may be `residual` or `x`.
void loom_encoder_bias_residual_layer_norm(const float *x, const float *bias, const float *residual,
                                           const float *gamma, const float *beta, int64_t rows,
                                           int64_t dim, float eps, float *out);

#ifdef __cplusplus
}
#endif

#endif
