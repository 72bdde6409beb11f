// JPEG decoding from memory with libjpeg(-turbo). libjpeg's error_exit must not return, so ours
// longjmps back into the entry point that called the library; each entry point sets that target.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "shim.h"

#define ROWS_PER_CALL 16

struct LoomJPEGDecoder {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr errors;
    jmp_buf jump;
    int created;
    int truncated;  // libjpeg saw the data end early (it warns and pads with gray; we refuse instead)
    char error[JMSG_LENGTH_MAX];
    uint8_t *scratch;  // rows in the file's colour space when it is not RGB; freed by close
};

static LoomJPEGDecoder *decoder_of(j_common_ptr cinfo) {
    return (LoomJPEGDecoder *)((char *)cinfo - offsetof(LoomJPEGDecoder, cinfo));
}

static void on_error_exit(j_common_ptr cinfo) {
    LoomJPEGDecoder *decoder = decoder_of(cinfo);
    cinfo->err->format_message(cinfo, decoder->error);
    longjmp(decoder->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    // Level -1 is a warning. The memory source warns JWRN_JPEG_EOF when the data runs out and then
    // feeds a fake end marker; Pillow raises "image file is truncated" there, so we report it.
    // Other warnings (e.g. stray bytes between markers) are tolerated, as in Pillow.
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        LoomJPEGDecoder *decoder = decoder_of(cinfo);
        decoder->truncated = 1;
        cinfo->err->format_message(cinfo, decoder->error);
    }
}

static LoomImageStatus failure(LoomJPEGDecoder *decoder, char *message, size_t capacity) {
    loom_set_message(message, capacity, decoder->error);
    return decoder->truncated ? LOOM_IMAGE_TRUNCATED : LOOM_IMAGE_CORRUPT;
}

LoomImageStatus loom_jpeg_open(const uint8_t *data, size_t size, LoomJPEGDecoder **out, LoomImageInfo *info,
                               char *message, size_t capacity) {
    *out = NULL;
    LoomJPEGDecoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        loom_set_message(message, capacity, "out of memory");
        return LOOM_IMAGE_OUT_OF_MEMORY;
    }
    decoder->cinfo.err = jpeg_std_error(&decoder->errors);
    decoder->errors.error_exit = on_error_exit;
    decoder->errors.emit_message = on_message;
    if (setjmp(decoder->jump)) {
        LoomImageStatus status = failure(decoder, message, capacity);
        loom_jpeg_close(decoder);
        return status;
    }
    jpeg_create_decompress(&decoder->cinfo);
    decoder->created = 1;
    jpeg_mem_src(&decoder->cinfo, data, (unsigned long)size);
    jpeg_read_header(&decoder->cinfo, TRUE);
    if (decoder->truncated) {
        LoomImageStatus status = failure(decoder, message, capacity);
        loom_jpeg_close(decoder);
        return status;
    }
    int components = decoder->cinfo.num_components;
    if (components != 1 && components != 3 && components != 4) {
        char text[96];
        snprintf(text, sizeof text, "JPEG with %d colour components (only 1, 3 or 4 are decoded)", components);
        loom_set_message(message, capacity, text);
        loom_jpeg_close(decoder);
        return LOOM_IMAGE_UNSUPPORTED;
    }
    info->width = decoder->cinfo.image_width;
    info->height = decoder->cinfo.image_height;
    info->components = components;
    info->bit_depth = decoder->cinfo.data_precision;
    info->has_alpha = 0;
    info->interlaced_or_progressive = jpeg_has_multiple_scans(&decoder->cinfo) ? 1 : 0;
    *out = decoder;
    return LOOM_IMAGE_OK;
}

LoomImageStatus loom_jpeg_decode_rgb(LoomJPEGDecoder *decoder, uint8_t *rgb, char *message, size_t capacity) {
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    if (setjmp(decoder->jump)) return failure(decoder, message, capacity);

    int components = cinfo->num_components;
    // libjpeg's defaults are what Pillow uses: JDCT_ISLOW and fancy upsampling.
    cinfo->out_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_start_decompress(cinfo);
    size_t width = cinfo->output_width;
    size_t height = cinfo->output_height;
    size_t in_channels = (size_t)cinfo->output_components;
    if (in_channels != 3) {
        decoder->scratch = malloc(width * in_channels * ROWS_PER_CALL);
        if (decoder->scratch == NULL) {
            loom_set_message(message, capacity, "out of memory");
            return LOOM_IMAGE_OUT_OF_MEMORY;
        }
    }
    JSAMPROW rows[ROWS_PER_CALL];
    while (cinfo->output_scanline < height) {
        size_t first = cinfo->output_scanline;
        size_t wanted = height - first < ROWS_PER_CALL ? height - first : ROWS_PER_CALL;
        for (size_t i = 0; i < wanted; i++) {
            rows[i] = in_channels == 3 ? rgb + (first + i) * width * 3 : decoder->scratch + i * width * in_channels;
        }
        size_t got = jpeg_read_scanlines(cinfo, rows, (JDIMENSION)wanted);
        for (size_t i = 0; i < got && in_channels != 3; i++) {
            uint8_t *out = rgb + (first + i) * width * 3;
            if (in_channels == 1) loom_gray_to_rgb(rows[i], out, width);
            else loom_inverted_cmyk_to_rgb(rows[i], out, width);
        }
        if (decoder->truncated) return failure(decoder, message, capacity);
    }
    jpeg_finish_decompress(cinfo);
    if (decoder->truncated) return failure(decoder, message, capacity);
    return LOOM_IMAGE_OK;
}

void loom_jpeg_close(LoomJPEGDecoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->created) jpeg_destroy_decompress(&decoder->cinfo);
    free(decoder->scratch);
    free(decoder);
}
