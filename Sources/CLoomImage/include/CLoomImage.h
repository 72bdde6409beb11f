// C shims for libpng and libjpeg(-turbo). Both libraries report errors by longjmp, which must never
// cross Swift frames: every setjmp lives in this target, and each entry point returns a status code
// plus a message written into a caller-provided buffer instead.
//
// Decoding is in phases so Swift can refuse huge images before allocating pixels:
//   open (reads the header only) -> width/height -> decode into caller buffers -> close.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum {
    LOOM_IMAGE_OK = 0,
    /// The data ends before the image does.
    LOOM_IMAGE_TRUNCATED = 1,
    /// The library rejected the data (bad signature, bad CRC, bad Huffman table, ...).
    LOOM_IMAGE_CORRUPT = 2,
    /// Valid but not a layout we decode (e.g. a JPEG with 2 components).
    LOOM_IMAGE_UNSUPPORTED = 3,
    LOOM_IMAGE_OUT_OF_MEMORY = 4,
} LoomImageStatus;

/// What the header says, filled by the open functions.
typedef struct {
    uint32_t width;
    uint32_t height;
    /// Components stored in the file (PNG: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA, palette counts as 3;
    /// JPEG: 1, 3 or 4).
    int32_t components;
    /// Bits per sample in the file (PNG 1/2/4/8/16; JPEG 8).
    int32_t bit_depth;
    /// Bits per pixel as stored (a palette index is one sample), so Swift can bound the decoded size.
    int32_t bits_per_pixel;
    /// Whether the decoder will composite transparency (PNG alpha channel or tRNS) onto white.
    int32_t has_alpha;
    /// PNG: Adam7 interlaced. JPEG: progressive.
    int32_t interlaced_or_progressive;
} LoomImageInfo;

typedef struct LoomPNGDecoder LoomPNGDecoder;
typedef struct LoomJPEGDecoder LoomJPEGDecoder;

/// Reads the PNG signature and header chunks from `data` (which must outlive the decoder).
/// On success `*decoder` is set and must be passed to `loom_png_close`; on failure it is NULL.
LoomImageStatus loom_png_open(const uint8_t *data, size_t size, LoomPNGDecoder **decoder,
                              LoomImageInfo *info, char *message, size_t message_capacity);
/// Decodes to 8-bit RGB into `rgb` (width * height * 3 bytes): 16-bit samples keep their high byte,
/// gray is replicated, palettes are expanded, transparency is composited onto white.
LoomImageStatus loom_png_decode_rgb(LoomPNGDecoder *decoder, uint8_t *rgb, char *message,
                                    size_t message_capacity);
/// The eXIf chunk's payload (a TIFF structure) if the file has one, else NULL. Valid until close;
/// chunks after the image data are only seen once `loom_png_decode_rgb` has run.
const uint8_t *loom_png_exif(const LoomPNGDecoder *decoder, size_t *size);
void loom_png_close(LoomPNGDecoder *decoder);

/// Reads the JPEG markers up to the first scan from `data` (which must outlive the decoder).
LoomImageStatus loom_jpeg_open(const uint8_t *data, size_t size, LoomJPEGDecoder **decoder,
                               LoomImageInfo *info, char *message, size_t message_capacity);
/// Starts decoding with libjpeg's defaults (islow IDCT, fancy upsampling), as Pillow does. A
/// progressive or multi-scan file is read whole here, into a buffer of coefficients for the whole
/// image; `max_memory` caps that buffer, and a file whose header claims more is refused as corrupt.
LoomImageStatus loom_jpeg_start(LoomJPEGDecoder *decoder, size_t max_memory, char *message,
                                size_t message_capacity);
/// Decodes the next `rows` rows to 8-bit RGB into `rgb` (rows * width * 3 bytes), after
/// `loom_jpeg_start`. Grayscale is replicated; 4-component files (CMYK, YCCK) are read as
/// Adobe-inverted CMYK and converted with Pillow's formula. Data that ends early is TRUNCATED.
LoomImageStatus loom_jpeg_read_rows(LoomJPEGDecoder *decoder, uint8_t *rgb, size_t rows, char *message,
                                    size_t message_capacity);
void loom_jpeg_close(LoomJPEGDecoder *decoder);

/// Encodes 8-bit RGB (`width * height * 3` bytes, rows top to bottom) as a baseline JPEG of
/// `quality` (1...100) into a buffer `*out` of `*out_size` bytes, which the caller frees with
/// `loom_jpeg_free`.
LoomImageStatus loom_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                                     uint8_t **out, size_t *out_size, char *message, size_t message_capacity);
void loom_jpeg_free(uint8_t *data);
