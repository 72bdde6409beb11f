// AVX2 bodies of the element-wise kernels that Loom's Swift code (LoomTensor Kernels) runs on whole
// activations: softmax rows, GELU (erf and tanh forms), SiLU / QuickGELU. The Swift package builds
// for baseline x86-64, so its own SIMD code runs 4 floats wide without FMA; these run 8 wide with FMA.
//
// Each returns 1 when it did the work and 0 when the CPU lacks AVX2/FMA (or the portable bodies are
// forced): the caller then runs its portable Swift body. The formulas are the Swift ones
// (LoomTensor/Kernels/VectorMath.swift), so both bodies agree within a few float ulps.
#ifndef CLOOM_ELEMENTWISE_H
#define CLOOM_ELEMENTWISE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// row = softmax(row) over n floats, in place: exp(x - max) / sum. NaN in, NaN out; a row of all
/// -infinity becomes NaN, as in PyTorch.
int loom_softmax_row(float *row, int64_t n);

/// x = GELU(x) over n floats, in place: 0.5 x (1 + erf(x / sqrt 2)) (tanh_form 0) or
/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (tanh_form 1).
int loom_gelu(float *x, int64_t n, int tanh_form);

/// x = x * sigmoid(beta x) over n floats, in place: SiLU (beta 1), QuickGELU (beta 1.702).
int loom_sigmoid_gate(float *x, int64_t n, float beta);

#ifdef __cplusplus
}
#endif

#endif
