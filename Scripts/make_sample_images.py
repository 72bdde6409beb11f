"""Writes Samples/images/ and the decoder fixtures in Tests/Fixtures/images/ (see make-sample-images).

Variants Pillow cannot write (16-bit RGB, Adam7 interlaced, a huge declared size) come from the small
PNG writer below, which follows the PNG spec (https://www.w3.org/TR/png-3/) with filter type 0.
"""
import argparse
import io
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ORIENTATION = 0x0112
# Pillow's exif_transpose method for each orientation, and the transform that undoes it.
UNDO = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270,
}


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(path: Path, pixels: np.ndarray, bit_depth: int, color_type: int, interlaced=False,
              size=None) -> None:
    """pixels: H x W x C array of uint8/uint16 (big-endian on disk); size overrides the IHDR size."""
    height, width = pixels.shape[:2]
    w, h = size or (width, height)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlaced else 0)
    dtype = ">u2" if bit_depth == 16 else "u1"

    def scanlines(sub: np.ndarray) -> bytes:
        if sub.size == 0:
            return b""
        rows = sub.astype(dtype).reshape(sub.shape[0], -1)
        return b"".join(b"\x00" + row.tobytes() for row in rows)

    if interlaced:  # Adam7: (x0, y0, dx, dy) per pass
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b"".join(scanlines(pixels[y0::dy, x0::dx]) for x0, y0, dx, dy in passes)
    else:
        raw = scanlines(pixels)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
                     + chunk(b"IEND", b""))


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()


def make_samples(sk: Path, pil: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    Image.open(sk / "chelsea.png").convert("RGB").save(out / "chelsea.jpg", quality=90)
    Image.open(sk / "coffee.png").convert("RGB").save(out / "coffee.jpg", quality=90)
    astronaut = Image.open(sk / "astronaut.png").convert("RGB").resize((256, 256), Image.Resampling.LANCZOS)
    astronaut.save(out / "astronaut.png", optimize=True)
    shutil.copy(sk / "rocket.jpg", out / "rocket.jpg")
    for name in ["hopper.jpg", "hopper_gray.jpg", "hopper_orientation_6.jpg"]:
        shutil.copy(pil / name, out / name)


def without_app1(jpeg: bytes) -> bytes:
    """The same JPEG without its APP1 segments (EXIF, XMP): a lossless edit, the pixels are unchanged."""
    out, i = bytearray(jpeg[:2]), 2
    while jpeg[i] == 0xFF and jpeg[i + 1] != 0xDA:  # up to the start of scan
        length = struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if jpeg[i + 1] != 0xE1:
            out += jpeg[i:i + 2 + length]
        i += 2 + length
    return bytes(out + jpeg[i:])


def make_text_samples(sk: Path, pil: Path, tesserocr: Path, out: Path) -> None:
    """Images with printed text, for OCR (truth in Samples/images/README.md)."""
    shutil.copy(sk / "page.png", out / "page.png")
    # A 1-bit palette PNG stored as 8-bit gray (the same pixels, 0 or 255): RapidOCR reads palette
    # images as their indices (0 and 1, an all-black image), so the reference would find no text.
    Image.open(tesserocr / "eurotext.png").convert("L").save(out / "eurotext.png", optimize=True)
    # The Pillow test file carries a malformed GPS EXIF block (what it tests); the photo is what we want.
    (out / "seafire.jpg").write_bytes(without_app1((pil / "exif_gps_typeerror.jpg").read_bytes()))


def make_fixtures(sk: Path, pil: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cat = Image.open(sk / "chelsea.png").convert("RGB").resize((96, 64), Image.Resampling.LANCZOS)
    rgb = np.asarray(cat)

    # JPEG: baseline, progressive, CMYK (Pillow writes Adobe-inverted CMYK), EXIF orientations 1-8.
    cat.save(out / "chelsea.jpg", quality=90)
    cat.save(out / "chelsea_progressive.jpg", quality=90, progressive=True)
    cat.convert("CMYK").save(out / "chelsea_cmyk.jpg", quality=90)
    cat.convert("L").save(out / "chelsea_gray.jpg", quality=90)
    for o in range(1, 9):
        stored = cat.transpose(UNDO[o]) if o in UNDO else cat
        stored.save(out / f"chelsea_orientation_{o}.jpg", quality=90, exif=exif_bytes(o))
    cat.transpose(UNDO[6]).save(out / "chelsea_orientation_6.png", exif=exif_bytes(6))
    for name in ["hopper.jpg", "hopper_gray.jpg", "hopper_orientation_6.jpg", "pil_sample_cmyk.jpg", "pil123p.png", "i_trns.png",
                 "uncompressed_la.png"]:
        shutil.copy(pil / name, out / name)

    # PNG layouts: 8-bit RGB, gray, 1-bit, RGB + tRNS key, palette + tRNS, RGBA, gray + alpha,
    # 16-bit RGB (value * 257), 16-bit RGBA, Adam7 interlaced.
    cat.save(out / "chelsea.png")
    cat.convert("L").save(out / "chelsea_gray.png")
    cat.convert("1").save(out / "chelsea_1bit.png")
    key = tuple(int(v) for v in rgb[10, 10])
    cat.save(out / "chelsea_rgb_trns.png", transparency=key)
    palette = cat.quantize(32)
    alpha = bytes(0 if i % 4 == 0 else 128 if i % 4 == 1 else 255 for i in range(32))
    palette.save(out / "chelsea_palette_trns.png", transparency=alpha)
    ramp = np.tile(np.linspace(0, 255, 96, dtype=np.float64).round().astype(np.uint8), (64, 1))
    rgba = np.dstack([rgb, ramp])
    Image.fromarray(rgba, "RGBA").save(out / "chelsea_rgba.png")
    gray = np.asarray(cat.convert("L"))
    Image.fromarray(np.dstack([gray, ramp[:, ::-1]]), "LA").save(out / "chelsea_la.png")
    write_png(out / "chelsea_rgb16.png", rgb.astype(np.uint16) * 257, 16, 2)
    # Low bytes unlike the high ones, so a decoder that rounds (v * 255 / 65535) instead of keeping the
    # high byte, as Pillow does, shows up.
    write_png(out / "chelsea_rgba16.png", rgba.astype(np.uint16) * 256 + 200, 16, 6)
    write_png(out / "chelsea_interlaced.png", rgb, 8, 2, interlaced=True)

    # A PNG named .jpg: the format comes from the bytes.
    shutil.copy(out / "chelsea.png", out / "png_named_as.jpg")

    # Bad inputs.
    jpeg = (out / "chelsea.jpg").read_bytes()
    png = (out / "chelsea.png").read_bytes()
    (out / "bad_empty.png").write_bytes(b"")
    (out / "bad_truncated.jpg").write_bytes(jpeg[: len(jpeg) * 6 // 10])
    (out / "bad_truncated_progressive.jpg").write_bytes((out / "chelsea_progressive.jpg").read_bytes()[:1500])
    (out / "bad_truncated.png").write_bytes(png[: len(png) * 6 // 10])
    (out / "bad_signature_only.png").write_bytes(png[:5])
    shutil.copy(pil / "truncated_jpeg.jpg", out / "bad_pillow_truncated.jpg")
    corrupt_png = bytearray(png)
    idat = corrupt_png.index(b"IDAT")
    corrupt_png[idat + 40: idat + 48] = b"\xde\xad\xbe\xef" * 2  # breaks the IDAT CRC
    (out / "bad_corrupt.png").write_bytes(bytes(corrupt_png))
    corrupt_jpeg = bytearray(jpeg)
    dht = corrupt_jpeg.index(b"\xff\xc4")
    corrupt_jpeg[dht + 5: dht + 21] = b"\xff" * 16  # Huffman code counts that overflow the table
    (out / "bad_corrupt.jpg").write_bytes(bytes(corrupt_jpeg))
    # A frame header whose length field (2) is shorter than the header itself.
    (out / "bad_bogus_marker.jpg").write_bytes(b"\xff\xd8\xff\xc0\x00\x02" + bytes(range(256)) * 4)
    buffer = io.BytesIO()
    cat.save(buffer, format="GIF")
    (out / "bad_gif_named.png").write_bytes(buffer.getvalue())
    (out / "bad_text.jpg").write_bytes(b"this is a text file, not a photo\n")
    # Decompression bombs: tiny files whose headers declare 100000 x 100000 (PNG) and 65000 x 65000 (JPEG).
    write_png(out / "bad_bomb.png", rgb[:1, :1], 8, 2, size=(100_000, 100_000))
    bomb = bytearray(jpeg)
    sof = bomb.index(b"\xff\xc0")
    bomb[sof + 5: sof + 9] = struct.pack(">HH", 65000, 65000)
    (out / "bad_bomb.jpg").write_bytes(bytes(bomb))


def main() -> None:
    parser = argparse.ArgumentParser()
    for flag in ["--skimage", "--pillow", "--tesserocr", "--samples", "--fixtures"]:
        parser.add_argument(flag, type=Path, required=True)
    args = parser.parse_args()
    make_samples(args.skimage, args.pillow, args.samples)
    make_text_samples(args.skimage, args.pillow, args.tesserocr, args.samples)
    make_fixtures(args.skimage, args.pillow, args.fixtures)


if __name__ == "__main__":
    main()
