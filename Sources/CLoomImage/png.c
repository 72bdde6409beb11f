// PNG decoding from memory with libpng 1.6. libpng reports errors by longjmp to png_jmpbuf; each entry
// point below sets that jump target in its own frame, so errors come back as a status and message.
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include "shim.h"

struct LoomPNGDecoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;       // set by the read callback before it raises the error
    int has_alpha;
    char error[256];     // libpng's message, copied by the error callback
    // Buffers owned here so a longjmp out of libpng cannot leak them; freed by close.
    uint8_t *rgba;
    png_bytep *rows;
    uint8_t *exif;
    size_t exif_size;
};

static void on_error(png_structp png, png_const_charp text) {
    LoomPNGDecoder *decoder = png_get_error_ptr(png);
    snprintf(decoder->error, sizeof decoder->error, "%s", text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    // Warnings (e.g. a known-incorrect sRGB profile) do not stop decoding; Pillow ignores them too.
    (void)png;
    (void)text;
}

static void read_from_memory(png_structp png, png_bytep out, size_t length) {
    LoomPNGDecoder *decoder = png_get_io_ptr(png);
    if (length > decoder->size - decoder->offset) {
        decoder->truncated = 1;
        png_error(png, "the file ends before the image data does");
    }
    memcpy(out, decoder->data + decoder->offset, length);
    decoder->offset += length;
}

static LoomImageStatus failure(LoomPNGDecoder *decoder, char *message, size_t capacity) {
    loom_set_message(message, capacity, decoder->error);
    return decoder->truncated ? LOOM_IMAGE_TRUNCATED : LOOM_IMAGE_CORRUPT;
}

static void keep_exif(LoomPNGDecoder *decoder) {
    png_uint_32 count = 0;
    png_bytep exif = NULL;
    if (decoder->exif != NULL || !png_get_eXIf_1(decoder->png, decoder->info, &count, &exif)) return;
    if (count == 0 || exif == NULL) return;
    decoder->exif = malloc(count);
    if (decoder->exif == NULL) return;  // orientation is optional; decoding goes on without it
    memcpy(decoder->exif, exif, count);
    decoder->exif_size = count;
}

LoomImageStatus loom_png_open(const uint8_t *data, size_t size, LoomPNGDecoder **out, LoomImageInfo *info,
                              char *message, size_t capacity) {
    *out = NULL;
    LoomPNGDecoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        loom_set_message(message, capacity, "out of memory");
        return LOOM_IMAGE_OUT_OF_MEMORY;
    }
    decoder->data = data;
    decoder->size = size;
    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, on_error, on_warning);
    if (decoder->png != NULL) decoder->info = png_create_info_struct(decoder->png);
    if (decoder->png == NULL || decoder->info == NULL) {
        loom_png_close(decoder);
        loom_set_message(message, capacity, "out of memory");
        return LOOM_IMAGE_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        LoomImageStatus status = failure(decoder, message, capacity);
        loom_png_close(decoder);
        return status;
    }
    png_set_read_fn(decoder->png, decoder, read_from_memory);
    // libpng's own default caps width and height at 1,000,000; Swift applies the pixel limit.
    png_read_info(decoder->png, decoder->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(decoder->png, decoder->info, &width, &height, &bit_depth, &color_type, &interlace, NULL,
                 NULL);
    int tRNS = png_get_valid(decoder->png, decoder->info, PNG_INFO_tRNS) != 0;
    decoder->has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || tRNS;
    keep_exif(decoder);

    info->width = width;
    info->height = height;
    info->bit_depth = bit_depth;
    info->bits_per_pixel = png_get_channels(decoder->png, decoder->info) * bit_depth;
    info->has_alpha = decoder->has_alpha;
    info->interlaced_or_progressive = interlace != PNG_INTERLACE_NONE;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: info->components = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: info->components = 2; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: info->components = 4; break;
    default: info->components = 3; break;  // RGB and palette
    }
    *out = decoder;
    return LOOM_IMAGE_OK;
}

LoomImageStatus loom_png_decode_rgb(LoomPNGDecoder *decoder, uint8_t *rgb, char *message, size_t capacity) {
    png_structp png = decoder->png;
    png_infop info = decoder->info;
    if (setjmp(png_jmpbuf(png))) return failure(decoder, message, capacity);

    // Normalise every layout to 8-bit RGB or RGBA. strip_16 keeps the high byte, as Pillow's
    // "RGB;16B"/"RGBA;16B" unpackers do; tRNS becomes a real alpha channel, as Pillow's
    // convert("RGBA") does for palette, gray and RGB images with a transparency key.
    png_set_strip_16(png);
    png_set_packing(png);
    png_set_expand(png);  // palette -> RGB, gray 1/2/4 -> 8 bits, tRNS -> alpha
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t width = png_get_image_width(png, info);
    size_t height = png_get_image_height(png, info);
    size_t channels = png_get_channels(png, info);
    if (png_get_bit_depth(png, info) != 8 || (channels != 3 && channels != 4) ||
        png_get_rowbytes(png, info) != width * channels) {
        loom_set_message(message, capacity, "libpng could not convert this layout to 8-bit RGB");
        return LOOM_IMAGE_UNSUPPORTED;
    }
    uint8_t *target = rgb;
    if (channels == 4) {
        decoder->rgba = malloc(width * height * 4);
        target = decoder->rgba;
    }
    decoder->rows = malloc(height * sizeof(png_bytep));
    if (target == NULL || decoder->rows == NULL) {
        loom_set_message(message, capacity, "out of memory");
        return LOOM_IMAGE_OUT_OF_MEMORY;
    }
    for (size_t y = 0; y < height; y++) decoder->rows[y] = target + y * width * channels;
    png_read_image(png, decoder->rows);
    if (channels == 4) loom_composite_rgba_on_white(decoder->rgba, rgb, width * height);

    // Chunks after the image data may hold eXIf. The pixels are complete at this point, so a damaged
    // tail (say, a missing IEND) does not fail the image; its message is simply dropped.
    if (setjmp(png_jmpbuf(png))) return LOOM_IMAGE_OK;
    png_read_end(png, info);
    keep_exif(decoder);
    return LOOM_IMAGE_OK;
}

const uint8_t *loom_png_exif(const LoomPNGDecoder *decoder, size_t *size) {
    *size = decoder->exif_size;
    return decoder->exif;
}

void loom_png_close(LoomPNGDecoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->png != NULL) png_destroy_read_struct(&decoder->png, decoder->info ? &decoder->info : NULL, NULL);
    free(decoder->rgba);
    free(decoder->rows);
    free(decoder->exif);
    free(decoder);
}
