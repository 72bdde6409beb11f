// Internal helpers shared by png.c and jpeg.c (not part of the Swift-visible module).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "CLoomImage.h"

void loom_set_message(char *message, size_t capacity, const char *text);
void loom_composite_rgba_on_white(const uint8_t *rgba, uint8_t *rgb, size_t pixels);
void loom_inverted_cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t pixels);
void loom_gray_to_rgb(const uint8_t *gray, uint8_t *rgb, size_t pixels);
