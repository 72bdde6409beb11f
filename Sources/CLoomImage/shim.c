// Pixel conversions shared by the PNG and JPEG shims, written to match Pillow bit for bit.
#include "shim.h"
#include <stdio.h>
#include <string.h>

void loom_set_message(char *message, size_t capacity, const char *text) {
    if (message == NULL || capacity == 0) return;
    snprintf(message, capacity, "%s", text);
}

// Pillow's SHIFTFORDIV255 (src/libImaging/ImagingUtils.h): a rounded division by 255 without a divide.
#define SHIFTFORDIV255(a) ((((a) >> 8) + (a)) >> 8)

void loom_composite_rgba_on_white(const uint8_t *rgba, uint8_t *rgb, size_t pixels) {
    // Pillow's ImagingAlphaComposite (src/libImaging/AlphaComposite.c) with dst = opaque white,
    // which is what transformers' convert_to_rgb does (alpha_composite onto (255, 255, 255, 255)).
    // With dst alpha 255 its outa255 is always 255 * 255, so coef1 = a << 7 and coef2 = (255 - a) << 7.
    for (size_t i = 0; i < pixels; i++, rgba += 4, rgb += 3) {
        uint32_t a = rgba[3];
        if (a == 0) {
            rgb[0] = rgb[1] = rgb[2] = 255;
            continue;
        }
        uint32_t coef1 = a << 7;
        uint32_t coef2 = (255u << 7) - coef1;
        uint32_t white = 255u * coef2 + (0x80u << 7);
        rgb[0] = (uint8_t)(SHIFTFORDIV255(rgba[0] * coef1 + white) >> 7);
        rgb[1] = (uint8_t)(SHIFTFORDIV255(rgba[1] * coef1 + white) >> 7);
        rgb[2] = (uint8_t)(SHIFTFORDIV255(rgba[2] * coef1 + white) >> 7);
    }
}

void loom_inverted_cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t pixels) {
    // Pillow reads 4-component JPEGs as "CMYK;I" (Adobe polarity: stored values are 255 - ink) and
    // converts with cmyk2rgb (src/libImaging/Convert.c): r = nk - MULDIV255(c, nk) with nk = 255 - k.
    for (size_t i = 0; i < pixels; i++, cmyk += 4, rgb += 3) {
        int nk = cmyk[3];  // 255 - k, since the stored k is inverted
        for (int c = 0; c < 3; c++) {
            int ink = 255 - cmyk[c];
            int tmp = ink * nk + 128;
            int v = nk - SHIFTFORDIV255(tmp);
            rgb[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

void loom_gray_to_rgb(const uint8_t *gray, uint8_t *rgb, size_t pixels) {
    for (size_t i = 0; i < pixels; i++, rgb += 3) rgb[0] = rgb[1] = rgb[2] = gray[i];
}
