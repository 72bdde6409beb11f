// IEEE half to float for the portable C bodies (internal header of CLoomKernels).
#ifndef CLOOM_HALF_FLOAT_H
#define CLOOM_HALF_FLOAT_H

#include <stdint.h>
#include <string.h>

/// Exact for every value: normal and subnormal halves are the half's bits shifted into a float and
/// scaled by 2^112; infinities and NaN keep their class.
static inline float loom_half_bits_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, rest = (uint32_t)(h & 0x7FFFu);
    float magnitude;
    if ((rest & 0x7C00u) == 0x7C00u) {
        const uint32_t bits = 0x7F800000u | ((rest & 0x3FFu) << 13);
        memcpy(&magnitude, &bits, 4);
    } else {
        const uint32_t bits = rest << 13;
        memcpy(&magnitude, &bits, 4);
        magnitude *= 0x1p112f;
    }
    uint32_t out;
    memcpy(&out, &magnitude, 4);
    out |= sign;
    float result;
    memcpy(&result, &out, 4);
    return result;
}

#endif
