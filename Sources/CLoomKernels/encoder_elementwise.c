// The BERT encoder's passes between its matrix products, each fused into one sweep over the rows:
// bias + GELU after the intermediate projection, and bias + residual + LayerNorm after the attention
// output and FFN output projections (BertIntermediate, BertSelfOutput, BertOutput in
// transformers/models/bert/modeling_bert.py). GELU's erf follows PyTorch's vectorized CPU kernel
// (aten/src/ATen/cpu/vec/vec256/vec256_float.h, Vectorized<float>::erf: Abramowitz & Stegun 7.1.26).
#include "CLoomKernels.h"

#include <math.h>

static float gelu_portable(float v) {
    const float z = v * 0.70710678118654752f;
    const float a = fabsf(z);
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    const float y = 1.0f - p * t * expf(-a * a);
    return 0.5f * v * (1.0f + (z < 0 ? -y : y));
}

static void bias_gelu_portable(float *x, const float *bias, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * cols;
        for (int64_t c = 0; c < cols; c++) row[c] = gelu_portable(row[c] + (bias ? bias[c] : 0.0f));
    }
}

static void layer_norm_portable(const float *x, const float *bias, const float *residual, const float *gamma,
                                const float *beta, int64_t rows, int64_t dim, float eps, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * dim, *rr = residual + r * dim;
        float *o = out + r * dim;
        float sum = 0;
        for (int64_t i = 0; i < dim; i++) {
            o[i] = xr[i] + (bias ? bias[i] : 0.0f) + rr[i];
            sum += o[i];
        }
        const float mean = sum / (float)dim;
        float squares = 0;
        for (int64_t i = 0; i < dim; i++) squares += (o[i] - mean) * (o[i] - mean);
        const float rstd = 1.0f / sqrtf(squares / (float)dim + eps);
        for (int64_t i = 0; i < dim; i++) o[i] = (o[i] - mean) * rstd * gamma[i] + beta[i];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "simd_exp.h"

AVX2 static void bias_gelu_avx2(float *x, const float *bias, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * cols;
        int64_t c = 0;
        for (; c + 8 <= cols; c += 8) {
            __m256 v = _mm256_loadu_ps(row + c);
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + c));
            _mm256_storeu_ps(row + c, gelu_erf_avx2(v));
        }
        for (; c < cols; c++) row[c] = gelu_portable(row[c] + (bias ? bias[c] : 0.0f));
    }
}

/// dim a multiple of 8.
AVX2 static void layer_norm_avx2(const float *x, const float *bias, const float *residual, const float *gamma,
                                 const float *beta, int64_t rows, int64_t dim, float eps, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * dim, *rr = residual + r * dim;
        float *o = out + r * dim;
        __m256 sum = _mm256_setzero_ps();
        for (int64_t i = 0; i < dim; i += 8) {
            __m256 t = _mm256_add_ps(_mm256_loadu_ps(xr + i), _mm256_loadu_ps(rr + i));
            if (bias) t = _mm256_add_ps(t, _mm256_loadu_ps(bias + i));
            _mm256_storeu_ps(o + i, t);
            sum = _mm256_add_ps(sum, t);
        }
        const __m256 mean = _mm256_set1_ps(hsum8(sum) / (float)dim);
        __m256 squares = _mm256_setzero_ps();
        for (int64_t i = 0; i < dim; i += 8) {
            const __m256 c = _mm256_sub_ps(_mm256_loadu_ps(o + i), mean);
            squares = _mm256_fmadd_ps(c, c, squares);
        }
        const __m256 rstd = _mm256_set1_ps(1.0f / sqrtf(hsum8(squares) / (float)dim + eps));
        for (int64_t i = 0; i < dim; i += 8) {
            const __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(o + i), mean), rstd);
            _mm256_storeu_ps(o + i, _mm256_fmadd_ps(n, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
        }
    }
}
#endif

void loom_encoder_bias_gelu(float *x, const float *bias, int64_t rows, int64_t cols) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (loom_kernels_use_avx2()) { bias_gelu_avx2(x, bias, rows, cols); return; }
#endif
    bias_gelu_portable(x, bias, rows, cols);
}

void loom_encoder_bias_residual_layer_norm(const float *x, const float *bias, const float *residual,
                                           const float *gamma, const float *beta, int64_t rows,
                                           int64_t dim, float eps, float *out) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (dim % 8 == 0 && loom_kernels_use_avx2()) {
        layer_norm_avx2(x, bias, residual, gamma, beta, rows, dim, eps, out);
        return;
    }
#endif
    layer_norm_portable(x, bias, residual, gamma, beta, rows, dim, eps, out);
}
