// JPEG encoding into memory with libjpeg(-turbo), for thumbnails. As in jpeg.c, libjpeg's errors
// longjmp back into the entry point and come out as a status and a message. The output goes to a
// destination of our own (a growing heap buffer), so an error leaves nothing of libjpeg's to free.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <jerror.h>
#include "shim.h"

struct encoder {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr errors;
    struct jpeg_destination_mgr destination;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    uint8_t *data;
    size_t capacity;
};

static struct encoder *encoder_of_cinfo(j_common_ptr cinfo) {
    return (struct encoder *)((char *)cinfo - offsetof(struct encoder, cinfo));
}

static void on_encode_error(j_common_ptr cinfo) {
    struct encoder *encoder = encoder_of_cinfo(cinfo);
    cinfo->err->format_message(cinfo, encoder->message);
    longjmp(encoder->jump, 1);
}

static void start_destination(j_compress_ptr cinfo) {
    struct encoder *encoder = encoder_of_cinfo((j_common_ptr)cinfo);
    encoder->destination.next_output_byte = encoder->data;
    encoder->destination.free_in_buffer = encoder->capacity;
}

/// The buffer is full: double it (libjpeg calls this only when all of it is used).
static boolean grow_destination(j_compress_ptr cinfo) {
    struct encoder *encoder = encoder_of_cinfo((j_common_ptr)cinfo);
    size_t used = encoder->capacity;
    uint8_t *grown = realloc(encoder->data, encoder->capacity * 2);
    if (!grown) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    encoder->data = grown;
    encoder->capacity *= 2;
    encoder->destination.next_output_byte = grown + used;
    encoder->destination.free_in_buffer = encoder->capacity - used;
    return TRUE;
}

static void finish_destination(j_compress_ptr cinfo) { (void)cinfo; }

LoomImageStatus loom_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                                     uint8_t **out, size_t *out_size, char *message, size_t message_capacity) {
    *out = NULL;
    *out_size = 0;
    if (width == 0 || height == 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        loom_set_message(message, message_capacity, "the image is empty or larger than JPEG allows");
        return LOOM_IMAGE_UNSUPPORTED;
    }
    struct encoder *encoder = calloc(1, sizeof *encoder);
    if (!encoder || !(encoder->data = malloc(encoder->capacity = 1 << 16))) {
        free(encoder);
        loom_set_message(message, message_capacity, "out of memory");
        return LOOM_IMAGE_OUT_OF_MEMORY;
    }
    struct jpeg_compress_struct *cinfo = &encoder->cinfo;
    cinfo->err = jpeg_std_error(&encoder->errors);
    encoder->errors.error_exit = on_encode_error;
    if (setjmp(encoder->jump)) {
        jpeg_destroy_compress(cinfo);
        loom_set_message(message, message_capacity, encoder->message);
        free(encoder->data);
        free(encoder);
        return LOOM_IMAGE_CORRUPT;
    }
    jpeg_create_compress(cinfo);
    encoder->destination.init_destination = start_destination;
    encoder->destination.empty_output_buffer = grow_destination;
    encoder->destination.term_destination = finish_destination;
    cinfo->dest = &encoder->destination;
    cinfo->image_width = width;
    cinfo->image_height = height;
    cinfo->input_components = 3;
    cinfo->in_color_space = JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo->next_scanline * width * 3);
        jpeg_write_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_compress(cinfo);
    *out_size = encoder->capacity - encoder->destination.free_in_buffer;
    *out = encoder->data;
    jpeg_destroy_compress(cinfo);
    free(encoder);
    return LOOM_IMAGE_OK;
}

void loom_jpeg_free(uint8_t *data) { free(data); }
