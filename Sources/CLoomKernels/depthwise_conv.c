// Depthwise 2-D convolution of one channel plane (ONNX Conv with group = channels), as PP-OCRv4's
// PP-LCNetV3 layers run it: each output row is built in cache from the kernel's taps, the valid
// columns of each tap worked out once, so the inner loop has no bounds tests and vectorizes
// (AVX2/FMA body on CPUs that have it; the same C otherwise).
#include "CLoomKernels.h"

#define DEPTHWISE_BODY                                                                                    \
    for (int64_t oy = 0; oy < out_h; oy++) {                                                              \
        float *restrict out = output + oy * out_w;                                                        \
        for (int64_t ox = 0; ox < out_w; ox++) out[ox] = bias;                                            \
        for (int64_t ky = 0; ky < kernel_h; ky++) {                                                       \
            const int64_t iy = oy * stride_h - pad_top + ky;                                              \
            if (iy < 0 || iy >= height) continue;                                                         \
            for (int64_t kx = 0; kx < kernel_w; kx++) {                                                   \
                const float tap = weight[ky * kernel_w + kx];                                             \
                /* Output columns whose input column ox * stride_w - pad_left + kx is inside. */          \
                int64_t first = (pad_left - kx + stride_w - 1) / stride_w;                                \
                if (first < 0) first = 0;                                                                 \
                int64_t end = (width - 1 + pad_left - kx) / stride_w + 1;                                 \
                if (end > out_w) end = out_w;                                                             \
                const float *restrict in = input + iy * width - pad_left + kx;                            \
                if (stride_w == 1) {                                                                      \
                    for (int64_t ox = first; ox < end; ox++) out[ox] += tap * in[ox];                     \
                } else {                                                                                  \
                    for (int64_t ox = first; ox < end; ox++) out[ox] += tap * in[ox * stride_w];          \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }

static void depthwise_portable(const float *restrict input, int64_t height, int64_t width,
                               const float *restrict weight, int64_t kernel_h, int64_t kernel_w,
                               int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left, float bias,
                               float *restrict output, int64_t out_h, int64_t out_w) {
    DEPTHWISE_BODY
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
__attribute__((target("avx2,fma"))) static void depthwise_avx2(
    const float *restrict input, int64_t height, int64_t width, const float *restrict weight, int64_t kernel_h,
    int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left, float bias,
    float *restrict output, int64_t out_h, int64_t out_w) {
    DEPTHWISE_BODY
}
#endif

void loom_depthwise_conv2d(const float *input, int64_t height, int64_t width, const float *weight, int64_t kernel_h,
                           int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left,
                           float bias, float *output, int64_t out_h, int64_t out_w) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (loom_kernels_use_avx2()) {
        depthwise_avx2(input, height, width, weight, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, bias,
                       output, out_h, out_w);
        return;
    }
#endif
    depthwise_portable(input, height, width, weight, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, bias,
                       output, out_h, out_w);
}
