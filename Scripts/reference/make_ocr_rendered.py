"""Rendered OCR test images with known text: several fonts, sizes and colours, text on photos, text
tilted by a few degrees and turned by 180 degrees, and an image without text (issue #16, Proof).

Deterministic: no randomness; the fonts are the ones bundled in the pinned matplotlib 3.11.2 wheel
(mpl-data/fonts/ttf, checked by sha256 below), drawn by the pinned Pillow 13.0.0 (its bundled FreeType)
with Pillow's basic layout (not libraqm, which may or may not be on a machine); photo backgrounds are
exact crops of Samples/images. Both come with .venv-ref (Scripts/reference-venv).

Writes Tests/Fixtures/ocr/rendered/: the images and truth.json (per image: what it tests, and the
printed lines in reading order). Then Scripts/reference/ocr_rapidocr.py runs RapidOCR on them (keys
"rendered/NAME" in end_to_end.json) and adds RapidOCR's lines and character error rate to truth.json.

Every text uses letters, digits and punctuation of PP-OCRv4's dictionary (checked in ocr_rapidocr.py).

Usage (from the repository root):  .venv-ref/bin/python Scripts/reference/make_ocr_rendered.py
"""
import hashlib
import importlib.util
import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/ocr/rendered"
SAMPLES = ROOT / "Samples/images"
# matplotlib's own directory, found without importing it (it is installed without its dependencies).
FONT_DIR = Path(importlib.util.find_spec("matplotlib").submodule_search_locations[0]) / "mpl-data/fonts/ttf"
FONTS = {
    "DejaVu Sans": ("DejaVuSans.ttf", "3fdf69cabf06049ea70a00b5919340e2ce1e6d02b0cc3c4b44fb6801bd1e0d22"),
    "DejaVu Sans Bold": ("DejaVuSans-Bold.ttf", "b184b89e3c1075f22f6b71575b6fc20d4972b3cfd3b23322ca6fd596dcaef167"),
    "DejaVu Serif": ("DejaVuSerif.ttf", "107244956e9962b9e96faccdc551825e0ae0898ae13737133e1b921a2fd35ffa"),
    "DejaVu Serif Italic": ("DejaVuSerif-Italic.ttf", "3e7994fbc54fa10ce3352a42d548fadd7d9cadb69cb1109bc9d960f6dac57f04"),
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", "602ec86b8948cfcd956482fe64f94c36c867770149ef2f791d4613f443bcecb3"),
    "STIX General": ("STIXGeneral.ttf", "167378031e2dddc6216d67819c9260e9a06ffc4c478e4e23cb98a6fd44b183c2"),
    "STIX General Bold": ("STIXGeneralBol.ttf", "e8533dc7083fa346bda1933d60ea4a83b67d0945bceaf1b3541f82b4a0e2c6a0"),
    "Computer Modern Roman": ("cmr10.ttf", "4dd9761b058c009db9b2145f55ee6617d093c273dd3d6c5b3e43ff6110fa9bf6"),
}
JPEG_QUALITY = 90


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    file, digest = FONTS[name]
    data = (FONT_DIR / file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest, f"{FONT_DIR / file}: not matplotlib 3.11.2's font"
    return ImageFont.truetype(str(FONT_DIR / file), size, layout_engine=ImageFont.Layout.BASIC)


def draw_lines(draw: ImageDraw.ImageDraw, x: int, y: int, lines: list) -> list:
    """lines: (text, font name, size, fill), drawn one under the other from (x, y), each advanced by
    its font's line height plus a third of the size. Returns the texts, in reading order."""
    for text, name, size, fill in lines:
        draw.text((x, y), text, font=font(name, size), fill=fill)
        ascent, descent = font(name, size).getmetrics()
        y += ascent + descent + size // 3
    return [text for text, *_ in lines]


def text_layer(size: tuple, x: int, y: int, lines: list) -> tuple:
    """The lines on a transparent RGBA layer (to be tilted and laid over a photo)."""
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    return layer, draw_lines(ImageDraw.Draw(layer), x, y, lines)


def fonts() -> tuple:
    image = Image.new("RGB", (560, 250), "white")
    ink = (20, 20, 20)
    texts = draw_lines(ImageDraw.Draw(image), 20, 16, [
        ("The quick brown fox jumps", "DejaVu Sans", 28, ink),
        ("over the lazy dog 1234", "DejaVu Serif", 28, ink),
        ("Pack my box with 56 jugs", "DejaVu Sans Mono", 26, ink),
        ("Sphinx of black quartz 789", "STIX General", 30, ink),
        ("judge my vow and bring 10 cups", "Computer Modern Roman", 30, ink),
    ])
    return image, texts


def sizes() -> tuple:
    image = Image.new("RGB", (600, 260), (250, 250, 246))
    ink = (0, 0, 0)
    texts = draw_lines(ImageDraw.Draw(image), 16, 12, [
        ("Small print at fourteen pixels, page 14", "DejaVu Sans", 14, ink),
        ("A line set at eighteen pixels", "DejaVu Sans", 18, ink),
        ("Body text at 24 pixels", "DejaVu Sans", 24, ink),
        ("Heading at 34", "DejaVu Sans", 34, ink),
        ("Title 48", "DejaVu Sans", 48, ink),
    ])
    return image, texts


def colours() -> tuple:
    """Bands of background colour, one line each: light on dark, dark on light, coloured on both."""
    bands = [
        ((18, 32, 82), "White letters on dark blue", (255, 255, 255)),
        ((0, 0, 0), "Yellow words on black 2025", (255, 220, 0)),
        ((235, 235, 235), "Red text on light grey", (200, 20, 20)),
        ((255, 250, 205), "Green on pale yellow 42", (0, 110, 40)),
        ((255, 255, 255), "Blue ink on white paper", (20, 60, 200)),
        ((120, 30, 110), "Pink on purple 7 days", (255, 170, 220)),
    ]
    height = 52
    image = Image.new("RGB", (520, height * len(bands)))
    draw = ImageDraw.Draw(image)
    texts = []
    for i, (background, text, fill) in enumerate(bands):
        draw.rectangle((0, i * height, image.width, (i + 1) * height - 1), fill=background)
        texts += draw_lines(draw, 24, i * height + 10, [(text, "DejaVu Sans Bold", 26, fill)])
    return image, texts


def photo_coffee() -> tuple:
    """Light text on coffee.jpg: on the wooden table right of the cup, and across the saucer's rim
    and the table below it."""
    image = Image.open(SAMPLES / "coffee.jpg").convert("RGB")
    draw = ImageDraw.Draw(image)
    texts = draw_lines(draw, 404, 10, [("Fresh espresso", "DejaVu Serif", 24, (255, 255, 255))])
    texts += draw_lines(draw, 230, 345, [("Open daily from 7 to 11", "DejaVu Sans Bold", 24, (255, 235, 120))])
    return image, texts


def photo_rocket_tilted() -> tuple:
    """Text over the dusk sky and a launch tower of rocket.jpg, tilted 4 degrees counter-clockwise."""
    image = Image.open(SAMPLES / "rocket.jpg").convert("RGB").crop((120, 0, 600, 330)).convert("RGBA")
    layer, texts = text_layer(image.size, 40, 40, [
        ("Launch window opens", "STIX General Bold", 36, (255, 255, 255, 255)),
        ("at 6 30 in the evening", "DejaVu Sans", 26, (255, 210, 90, 255)),
    ])
    layer = layer.rotate(4, resample=Image.Resampling.BICUBIC, center=(image.width / 2, image.height / 3))
    return Image.alpha_composite(image, layer).convert("RGB"), texts


def tilted() -> tuple:
    """A paragraph on white, tilted 6 degrees clockwise; the corners filled with white."""
    image = Image.new("RGB", (500, 170), "white")
    ink = (30, 30, 30)
    texts = draw_lines(ImageDraw.Draw(image), 20, 16, [
        ("Scanned pages are rarely straight.", "DejaVu Serif", 24, ink),
        ("This paragraph leans by six", "DejaVu Serif", 24, ink),
        ("degrees to the right.", "DejaVu Serif", 24, ink),
    ])
    return image.rotate(-6, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"), texts


def turned_180() -> tuple:
    """Three lines upright, then the image turned by 180 degrees (exact: pixels reversed on both axes).
    The truth is in the upright reading order: the first line ends up at the bottom, upside down."""
    image = Image.new("RGB", (480, 150), (245, 245, 240))
    ink = (10, 10, 10)
    texts = draw_lines(ImageDraw.Draw(image), 20, 16, [
        ("This page was fed upside down", "DejaVu Sans", 24, ink),
        ("into the scanner on May 3.", "DejaVu Sans", 24, ink),
        ("Invoice number 50817", "DejaVu Sans Mono", 24, ink),
    ])
    return image.transpose(Image.Transpose.ROTATE_180), texts


def no_text() -> tuple:
    """A crop of rocket.jpg's sky and towers with drawn shapes (discs, bars, a ring, thin rules) and no
    letters: RapidOCR finds no line."""
    image = Image.open(SAMPLES / "rocket.jpg").convert("RGB").crop((0, 60, 400, 360))
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 40, 170, 120), fill=(230, 120, 40))
    draw.ellipse((250, 150, 330, 230), outline=(240, 240, 240), width=6)
    draw.rectangle((200, 30, 360, 60), fill=(40, 160, 90))
    draw.polygon([(60, 260), (150, 170), (190, 270)], fill=(200, 200, 60))
    return image, []


IMAGES = {
    "fonts.png": (fonts, "five fonts at 26-30 px (DejaVu Sans, Serif and Sans Mono, STIX General, Computer Modern), dark on white"),
    "sizes.png": (sizes, "one font (DejaVu Sans) at 14, 18, 24, 34 and 48 px"),
    "colours.png": (colours, "one line per colour band: light on dark, dark on light, coloured text on coloured backgrounds"),
    "photo_coffee.jpg": (photo_coffee, "light text on a photo (coffee.jpg's wooden table), JPEG"),
    "photo_rocket_tilted.jpg": (photo_rocket_tilted, "text on a photo (rocket.jpg's sky and a tower), tilted 4 degrees counter-clockwise, JPEG"),
    "tilted_6.png": (tilted, "a paragraph tilted 6 degrees clockwise"),
    "turned_180.png": (turned_180, "three lines turned by 180 degrees (the classifier must turn each crop)"),
    "no_text.jpg": (no_text, "a photo crop with drawn shapes and no text: no lines, no crash"),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    truth = {}
    for name, (make, tests) in IMAGES.items():
        image, lines = make()
        path = OUT / name
        if name.endswith(".jpg"):
            image.save(path, quality=JPEG_QUALITY)
        else:
            image.save(path, optimize=True)
        truth[name] = {"tests": tests, "size": list(image.size), "lines": lines, "turned_180": make is turned_180}
        print(f"{name:26} {image.width}x{image.height} {path.stat().st_size:>7} bytes  {len(lines)} lines")
    document = {
        "made_by": "Scripts/reference/make_ocr_rendered.py (fonts of matplotlib 3.11.2, Pillow 13.0.0)",
        "lines": "the printed lines, in reading order (for turned_180.png: of the upright page)",
        "turned_180": "the page is upside down: its reading order is the reverse of the top-to-bottom, "
                      "left-to-right order of the boxes in the image",
        "images": truth,
    }
    (OUT / "truth.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
