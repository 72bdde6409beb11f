"""Decodes every good image fixture in Tests/Fixtures/images/ the way transformers prepares images
and stores the expected RGB bytes for the Swift tests (Tests/LoomMediaTests/ImageReferenceTests.swift).

Reference pipeline: PIL.Image.open -> PIL.ImageOps.exif_transpose -> transformers' convert_to_rgb
(transformers/image_transforms.py: alpha_composite onto opaque white, then RGB).

One exception, on purpose: Pillow opens 16-bit grayscale PNGs as mode I;16 and its convert("RGB")
clamps each sample to 255 (I16_RGB in src/libImaging/Convert.c), so its output is mostly white. Loom
keeps the high byte, as Pillow itself does for 16-bit RGB/RGBA; for those files the reference is
computed here from the 16-bit samples (high byte, tRNS key -> white) and marked "high-byte".

Writes reference.json (file, width, height, kind, rgb, sha256) and one raw <sha256[:16]>.rgb per
distinct decoded image (height x width x 3 bytes, row-major); files that decode alike share one.
Usage: dump_images.py FIXTURE_DIR
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from transformers.image_transforms import convert_to_rgb


def reference(path: Path) -> tuple[np.ndarray, str]:
    image = Image.open(path)
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I"):
        samples = np.asarray(image).astype(np.uint32)
        rgb = np.repeat((samples >> 8).astype(np.uint8)[..., None], 3, axis=2)
        key = image.info.get("transparency")
        if key is not None:
            rgb[samples == key] = 255
        return rgb, "high-byte"
    return np.asarray(convert_to_rgb(image, return_numpy=True), dtype=np.uint8), "pillow"


def main() -> None:
    folder = Path(sys.argv[1])
    for old in folder.glob("*.rgb"):
        old.unlink()
    entries = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("bad_") or path.suffix not in (".png", ".jpg"):
            continue
        rgb, kind = reference(path)
        data = np.ascontiguousarray(rgb).tobytes()
        digest = hashlib.sha256(data).hexdigest()
        (folder / f"{digest[:16]}.rgb").write_bytes(data)
        entries.append({"file": path.name, "width": rgb.shape[1], "height": rgb.shape[0], "kind": kind,
                        "rgb": f"{digest[:16]}.rgb", "sha256": digest})
        print(f"{path.name:32} {rgb.shape[1]}x{rgb.shape[0]} {kind:9} mean {rgb.mean():7.3f}")
    (folder / "reference.json").write_text(json.dumps(entries, indent=1) + "\n")


if __name__ == "__main__":
    main()
