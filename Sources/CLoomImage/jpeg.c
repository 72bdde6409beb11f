// JPEG decoding from memory with libjpeg(-turbo). libjpeg's error_exit must not return, so ours
// longjmps back into the entry point that called the library; each entry point sets that target.
#include <limits.h>
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
    size_t size;         // bytes of JPEG data
    size_t in_channels;  // samples per pixel libjpeg outputs (1 gray, 3 RGB, 4 CMYK)
    char error[JMSG_LENGTH_MAX];
    uint8_t *scratch;  // rows in the file's colour space when it is not RGB; freed by close
};

static LoomJPEGDecoder *decoder_of(j_common_ptr cinfo) {
    return (LoomJPEGDecoder *)((char *)cinfo - offsetof(LoomJPEGDecoder, cinfo));
}

static void on_error_exit(j_common_ptr cinfo) {
    LoomJPEGDecoder *decoder = decoder_of(cinfo);
    if (cinfo->err->msg_code == JERR_NO_BACKING_STORE) {
        // The coefficient buffer would exceed loom_jpeg_start's max_memory.
        struct jpeg_decompress_struct *d = &decoder->cinfo;
        snprintf(decoder->error, sizeof decoder->error, "its header declares %ux%u pixels, more than its %zu bytes can hold",
                 d->image_width, d->image_height, decoder->size);
    } else {
        cinfo->err->format_message(cinfo, decoder->error);
    }
    longjmp(decoder->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    // Level -1 is a warning. The memory source warns JWRN_JPEG_EOF when the data runs out and then
    // feeds a fake end marker; Pillow raises "image file is truncated" there, so we report it.
    // JWRN_HIT_MARKER is the same shortfall inside the file (a scan's data ends at a marker, say the
    // final EOI, before its blocks do): libjpeg would go on with zeros, so a 3 KB file could come
    // out as gigabytes of made-up gray rows. Other warnings (e.g. stray bytes between markers) are
    // tolerated, as in Pillow.
    int code = cinfo->err->msg_code;
    if (level == -1 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)) {
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
    decoder->size = size;
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
    info->bits_per_pixel = components * decoder->cinfo.data_precision;
    info->has_alpha = 0;
    info->interlaced_or_progressive = jpeg_has_multiple_scans(&decoder->cinfo) ? 1 : 0;
    *out = decoder;
    return LOOM_IMAGE_OK;
}

LoomImageStatus loom_jpeg_start(LoomJPEGDecoder *decoder, size_t max_memory, char *message, size_t capacity) {
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    if (setjmp(decoder->jump)) return failure(decoder, message, capacity);

    int components = cinfo->num_components;
    // libjpeg's defaults are what Pillow uses: JDCT_ISLOW and fancy upsampling.
    cinfo->out_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    // Only the whole-image coefficient buffer of multi-scan files counts against this; past it,
    // libjpeg would need a backing store, which it does not have: JERR_NO_BACKING_STORE.
    cinfo->mem->max_memory_to_use = (long)(max_memory > LONG_MAX ? LONG_MAX : max_memory);
    jpeg_start_decompress(cinfo);
    if (decoder->truncated) return failure(decoder, message, capacity);  // a multi-scan file is read whole
    decoder->in_channels = (size_t)cinfo->output_components;
    if (decoder->in_channels != 3) {
        decoder->scratch = malloc(cinfo->output_width * decoder->in_channels * ROWS_PER_CALL);
        if (decoder->scratch == NULL) {
            loom_set_message(message, capacity, "out of memory");
            return LOOM_IMAGE_OUT_OF_MEMORY;
        }
    }
    return LOOM_IMAGE_OK;
}

LoomImageStatus loom_jpeg_read_rows(LoomJPEGDecoder *decoder, uint8_t *rgb, size_t rows, char *message, size_t capacity) {
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    if (setjmp(decoder->jump)) return failure(decoder, message, capacity);

    size_t width = cinfo->output_width;
    size_t in_channels = decoder->in_channels;
    size_t done = 0;
    while (done < rows && cinfo->output_scanline < cinfo->output_height) {
        size_t wanted = rows - done < ROWS_PER_CALL ? rows - done : ROWS_PER_CALL;
        JSAMPROW scanlines[ROWS_PER_CALL];
        for (size_t i = 0; i < wanted; i++) {
            scanlines[i] = in_channels == 3 ? rgb + (done + i) * width * 3 : decoder->scratch + i * width * in_channels;
        }
        size_t got = jpeg_read_scanlines(cinfo, scanlines, (JDIMENSION)wanted);
        for (size_t i = 0; i < got && in_channels != 3; i++) {
            uint8_t *out = rgb + (done + i) * width * 3;
            if (in_channels == 1) loom_gray_to_rgb(scanlines[i], out, width);
            else loom_inverted_cmyk_to_rgb(scanlines[i], out, width);
        }
        if (decoder->truncated) return failure(decoder, message, capacity);
        if (got == 0) {  // a memory source never suspends; guard against looping forever anyway
            loom_set_message(message, capacity, "libjpeg returned no rows");
            return LOOM_IMAGE_CORRUPT;
        }
        done += got;
    }
    if (done < rows) {
        loom_set_message(message, capacity, "asked for rows past the end of the image");
        return LOOM_IMAGE_CORRUPT;
    }
    if (cinfo->output_scanline == cinfo->output_height) {
        jpeg_finish_decompress(cinfo);
        if (decoder->truncated) return failure(decoder, message, capacity);
    }
    return LOOM_IMAGE_OK;
}

void loom_jpeg_close(LoomJPEGDecoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->created) jpeg_destroy_decompress(&decoder->cinfo);
    free(decoder->scratch);
    free(decoder);
}
